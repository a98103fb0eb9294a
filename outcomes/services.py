"""Writes of outcome measures: a response scored by its instrument's rule, PSFS re-ratings, the
patient's one-time questionnaire links, a clinic's own definitions. Each takes the acting user
(or names the patient's link as the actor) and writes its audit row in the same transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.audit import audit_record
from clinic.links import LinkUnavailable
from clinic.models import AuditEvent, Clinic
from clinic.permissions import access_for
from clinic.tokens import token_hash
from clinic.transactions import retrying_atomic
from clinic.types import User
from patients.models import FunctionalScore, PainSource, Patient
from patients.summaries import psfs_courses_refresh
from scheduling.follow_ups import follow_up_create, follow_up_set_status
from scheduling.models import FollowUp
from scheduling.reminders import questionnaire_link_token
from sessions.models import TreatmentSession

from .definitions import instrument_fields
from .models import (
    Instrument,
    InstrumentResponse,
    ItemAnswer,
    Occasion,
    OutcomePolicy,
    QuestionnaireRequest,
)
from .scoring import ACTIVITIES_MAX, definition_validate
from .selectors import psfs_activities

QUESTIONNAIRE_VALID_FOR = dt.timedelta(days=7)
PSFS_SOURCES = {
    # Where a PSFS re-rating comes from, in the column intake linking has always filled.
    "session": PainSource.PRE_SESSION,
    "link": PainSource.CHECK_IN,
}


def outcome_policy_for(*, clinic_id: int) -> OutcomePolicy:
    policy, _created = OutcomePolicy.objects.get_or_create(clinic_id=clinic_id)
    return policy


def _require_clinical(user: User, clinic_id: int) -> None:
    if clinic_id not in access_for(user).clinical_clinic_ids:
        raise PermissionDenied("Only clinical staff of the patient's clinic record outcomes.")


def _answers_checked(instrument: Instrument, answers: Mapping[str, object]) -> dict[str, int]:
    """The answered items as whole numbers among their options; per-item errors otherwise."""
    allowed = instrument.allowed_values()
    errors: dict[str, list[str]] = {}
    clean: dict[str, int] = {}
    for key, value in answers.items():
        if value is None or value == "":
            continue  # an item left out
        if key not in allowed:
            errors[str(key)] = [_("This instrument has no such item.")]
            continue
        try:
            number = int(str(value))
        except ValueError:
            errors[key] = [_("Choose one of the answers.")]
            continue
        if number not in allowed[key]:
            errors[key] = [_("Choose one of the answers.")]
            continue
        clean[key] = number
    if errors:
        raise ValidationError(errors)
    if not clean:
        raise ValidationError({"answers": [_("Answer at least one question.")]})
    return clean


def _response_write(
    *,
    patient: Patient,
    instrument: Instrument,
    answers: dict[str, int],
    occasion: str,
    language: str,
    session: TreatmentSession | None,
    entered_by: User | None,
    taken_at: dt.datetime,
) -> InstrumentResponse:
    response = InstrumentResponse.objects.create(
        patient=patient,
        instrument=instrument,
        session=session,
        taken_at=taken_at,
        occasion=occasion,
        language=language,
        total=instrument.score(answers),
        answered=len(answers),
        entered_by=entered_by,
    )
    ItemAnswer.objects.bulk_create(
        ItemAnswer(response=response, item=key, value=value) for key, value in answers.items()
    )
    return response


def _instrument_of_clinic(instrument: Instrument, clinic_id: int) -> None:
    if instrument.clinic_id not in (None, clinic_id) or instrument.activities is not None:
        raise ValidationError({"instrument": [_("Choose one of the clinic's questionnaires.")]})


@retrying_atomic
def response_record(
    *,
    actor: User,
    patient: Patient,
    instrument: Instrument,
    answers: Mapping[str, object],
    occasion: str = Occasion.SESSION,
    session: TreatmentSession | None = None,
    language: str = "en",
) -> InstrumentResponse:
    """A therapist enters a questionnaire in session (on the tablet) or from paper."""
    _require_clinical(actor, patient.clinic_id)
    _instrument_of_clinic(instrument, patient.clinic_id)
    if occasion not in Occasion.values:
        raise ValidationError({"occasion": [_("Choose an occasion.")]})
    if session is not None and session.patient_id != patient.pk:
        raise ValidationError({"session": ["The session belongs to another patient."]})
    response = _response_write(
        patient=patient,
        instrument=instrument,
        answers=_answers_checked(instrument, answers),
        occasion=occasion,
        language=language,
        session=session,
        entered_by=actor,
        taken_at=timezone.now(),
    )
    audit_record(action=AuditEvent.Action.CREATE, actor=actor, obj=response, patient=patient)
    return response


def _ratings_checked(
    patient: Patient, ratings: Sequence[tuple[str, object]]
) -> list[tuple[int, str, int]]:
    """(item, activity, score) for each rated activity: a named activity keeps its item
    number, a new one takes the next free number (PSFS has at most five)."""
    known = {
        activity.casefold(): item
        for item, activity in enumerate(psfs_activities(patient=patient), 1)
    }
    # Item numbers in use (an activity may have been renamed since: numbers never repeat).
    used = set(
        FunctionalScore.objects.filter(patient=patient).values_list("item", flat=True).distinct()
    )
    errors: dict[str, list[str]] = {}
    rows: list[tuple[int, str, int]] = []
    seen: set[str] = set()
    for index, (activity, score) in enumerate(ratings):
        name = " ".join(str(activity).split())[:200]
        if not name or score is None or score == "":
            continue
        try:
            value = int(str(score))
        except ValueError:
            value = -1
        if not 0 <= value <= 10:
            errors[f"ratings.{index}.score"] = [_("Rate from 0 to 10.")]
            continue
        if name.casefold() in seen:
            errors[f"ratings.{index}.activity"] = [_("This activity is already rated.")]
            continue
        seen.add(name.casefold())
        item = known.get(name.casefold())
        if item is None:
            free = [n for n in range(1, ACTIVITIES_MAX + 1) if n not in used]
            if not free:
                errors[f"ratings.{index}.activity"] = [
                    _("PSFS follows at most %(count)s activities.") % {"count": ACTIVITIES_MAX}
                ]
                continue
            item = free[0]
            used.add(item)
        rows.append((item, name, value))
    if errors:
        raise ValidationError(errors)
    if not rows:
        raise ValidationError({"ratings": [_("Rate at least one activity.")]})
    return rows


@retrying_atomic
def psfs_rerate(
    *,
    patient: Patient,
    ratings: Sequence[tuple[str, object]],
    actor: User | None = None,
    session: TreatmentSession | None = None,
    request: QuestionnaireRequest | None = None,
) -> list[FunctionalScore]:
    """Rate the patient's PSFS activities again (those named at intake or since, plus new ones)
    as `FunctionalScore` rows at one moment: the PSFS report's store, so its courses are
    rebuilt in the same transaction. By a therapist (in a session) or by the patient from a
    questionnaire link (`request`)."""
    if actor is not None:
        _require_clinical(actor, patient.clinic_id)
    elif request is None:
        raise ValueError("A re-rating names who gives it: a therapist or the patient's link.")
    if session is not None and session.patient_id != patient.pk:
        raise ValidationError({"session": ["The session belongs to another patient."]})
    Patient.objects.select_for_update().filter(pk=patient.pk).first()  # one re-rating at a time
    now = timezone.now()
    version = FunctionalScore.Instrument.PSFS
    if request is not None and request.instrument.version == "2.0":
        version = FunctionalScore.Instrument.PSFS_2
    scores = [
        FunctionalScore(
            patient=patient,
            session=session,
            recorded_at=now,
            source=PSFS_SOURCES["session" if request is None else "link"],
            instrument=version,
            item=item,
            activity=activity,
            score=value,
        )
        for item, activity, value in _ratings_checked(patient, ratings)
    ]
    for score in scores:
        score.full_clean(exclude=["patient", "session"])
    FunctionalScore.objects.bulk_create(scores)
    psfs_courses_refresh(patient_ids=[patient.pk])
    audit_record(
        action=AuditEvent.Action.CREATE,
        actor=actor,
        actor_label="" if actor is not None else "patient-link",
        obj=scores[0],
        patient=patient,
    )
    return scores


@retrying_atomic
def questionnaire_schedule(
    *,
    patient: Patient,
    instrument: Instrument,
    occasion: str,
    actor: User,
    due_at: dt.datetime | None = None,
) -> tuple[QuestionnaireRequest, str]:
    """Ask the patient to fill `instrument` through the reminder machinery: a follow-up of kind
    questionnaire (its reminder goes out on the patient's consented channels at `due_at`, now
    by default, outside quiet hours, exactly once) and the request its link opens. Returns the
    request and the raw token (for staff to pass on by hand as well)."""
    if instrument.clinic_id not in (None, patient.clinic_id):
        raise ValidationError({"instrument": [_("Choose one of the clinic's questionnaires.")]})
    due = due_at or timezone.now()
    follow_up = follow_up_create(
        patient=patient,
        due_at=due,
        kind=FollowUp.Kind.OUTCOME,
        created_by=actor,
        note=f"{instrument.name_en} ({Occasion(occasion).label})"[:200],
    )
    raw = questionnaire_link_token(follow_up.pk)
    request = QuestionnaireRequest.objects.create(
        patient=patient,
        instrument=instrument,
        occasion=occasion,
        language=patient.preferred_language or settings.LANGUAGE_CODE,
        token_hash=token_hash(raw),
        expires_at=due + QUESTIONNAIRE_VALID_FOR,
        follow_up=follow_up,
    )
    audit_record(action=AuditEvent.Action.CREATE, actor=actor, obj=request, patient=patient)
    return request, raw


@retrying_atomic
def questionnaire_complete(
    *,
    request: QuestionnaireRequest,
    answers: Mapping[str, object] | None = None,
    ratings: Sequence[tuple[str, object]] = (),
    language: str = "en",
) -> QuestionnaireRequest:
    """The patient's answer from the link: an index's answers per item, or PSFS re-ratings.
    A link is answered once."""
    request = (
        QuestionnaireRequest.objects.select_for_update(of=("self",))
        .select_related("patient", "instrument", "follow_up")
        .get(pk=request.pk)
    )
    if request.completed_at is not None or request.expires_at <= timezone.now():
        raise LinkUnavailable
    instrument = request.instrument
    request.completed_at = timezone.now()
    if request.follow_up is not None and request.follow_up.is_open:
        # Answered: its reminder, if still waiting, is not sent.
        follow_up_set_status(
            follow_up=request.follow_up,
            status=FollowUp.Status.DONE,
            actor_label="patient-link",
            by_patient=True,
        )
    if instrument.activities is not None:
        psfs_rerate(patient=request.patient, ratings=ratings, request=request)
        request.save(update_fields=["completed_at"])
        return request
    response = _response_write(
        patient=request.patient,
        instrument=instrument,
        answers=_answers_checked(instrument, answers or {}),
        occasion=request.occasion,
        language=language,
        session=None,
        entered_by=None,
        taken_at=request.completed_at,
    )
    request.response = response
    request.save(update_fields=["response", "completed_at"])
    audit_record(
        action=AuditEvent.Action.CREATE,
        actor_label="patient-link",
        obj=response,
        patient=request.patient,
    )
    return request


@retrying_atomic
def instrument_load(
    *, data: object, clinic: Clinic | None, actor_label: str, actor: User | None = None
) -> Instrument:
    """Load a definition (a clinic's licensed questionnaire, or a new version): validated as
    the shipped ones are; a version already scored is never replaced (scores would change)."""
    fields = instrument_fields(definition_validate(data))
    existing = Instrument.objects.filter(
        clinic=clinic, code=fields["code"], version=fields["version"]
    ).first()
    if existing is not None and existing.responses.exists():
        raise ValidationError(
            {"version": ["This version has responses already: load it as a new version."]}
        )
    if existing is None:
        instrument = Instrument(clinic=clinic, **fields)
    else:
        instrument = existing
        for name, value in fields.items():
            setattr(instrument, name, value)
    instrument.full_clean(exclude=["clinic"])
    instrument.save()
    audit_record(
        action=AuditEvent.Action.CREATE if existing is None else AuditEvent.Action.UPDATE,
        actor=actor,
        actor_label=actor_label,
        obj=instrument,
        clinic_id=clinic.pk if clinic else None,
    )
    return instrument
