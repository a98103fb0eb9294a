"""Writes to treatment sessions. Each function is one atomic step and re-reads the session under
a row lock, so two tabs or a late autosave can never overwrite a signed note."""

import datetime as dt
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.audit import audit_record
from clinic.models import AuditEvent, Clinic
from clinic.permissions import access_for
from clinic.transactions import retrying_atomic
from clinic.types import User
from patients.models import PainScore, PainSource, Patient
from patients.selectors import active_red_flags

from .models import (
    Addendum,
    MobilityMeasurement,
    NoteRequirements,
    PointCorrection,
    ReferenceThreshold,
    SessionFactor,
    SignedRecordLocked,
    SoapTemplate,
    TreatmentSession,
    TriggerPoint,
    TriggerPointSettings,
)
from .selectors import open_draft
from .signals import session_signed
from .summaries import summaries_refresh

SOAP_FIELDS = ("subjective", "objective", "assessment", "plan")
SESSION_PAIN_SOURCES = (PainSource.PRE_SESSION, PainSource.POST_SESSION)


def _require_clinician(user: User, patient: Patient) -> None:
    if not access_for(user).may_read_clinical(patient.clinic_id):
        raise PermissionDenied("Only clinical staff of the patient's clinic record sessions.")


def require_author(*, user: User, session: TreatmentSession) -> None:
    """A draft is its author's: nobody else, manager included, writes into it (the page and
    the API both come through here)."""
    if user.pk != session.therapist_id:
        raise PermissionDenied("Only the author edits a draft.")


def _lock_draft(session: TreatmentSession) -> TreatmentSession:
    # NO KEY UPDATE: it still serialises saves and the signature of one note, but lets another
    # transaction insert rows that point at it (a colleague's save rebuilding the patient's
    # report rows); a full UPDATE lock there deadlocked the two saves (issue 18).
    locked = TreatmentSession.objects.select_for_update(no_key=True).get(pk=session.pk)
    if locked.is_signed:
        raise SignedRecordLocked(f"Session {session.pk} is signed; write an addendum.")
    if locked.is_discarded:
        raise ValidationError({"__all__": [_("This draft was discarded: start a new session.")]})
    return locked


def _same_rows(existing, built: list) -> bool:
    """Whether the stored rows already are `built`: autosave sends the whole draft every few
    seconds, and rewriting unchanged rows would only fill the record history."""
    fields = [f.attname for f in existing.model._meta.concrete_fields if not f.primary_key]
    stored = list(existing.order_by("pk").values_list(*fields))
    return stored == [tuple(getattr(obj, name) for name in fields) for obj in built]


def _validated(instance):
    instance.full_clean(validate_unique=False)
    return instance


@retrying_atomic
def session_start(
    *,
    patient: Patient,
    therapist: User,
    started_at: dt.datetime | None = None,
    another: bool = False,
) -> TreatmentSession:
    """The therapist's open draft for this patient, or a new session when there is none or
    they ask for `another` (two treatments the same day): drafts never pile up by accident."""
    _require_clinician(therapist, patient)
    if patient.is_restricted:
        raise ValidationError({"patient": ["This record is restricted by an erasure request."]})
    # Two clicks (or two tabs) at once: the second waits here and finds the first's draft.
    Patient.objects.select_for_update(no_key=True).filter(pk=patient.pk).exists()
    if not another and (draft := open_draft(patient=patient, therapist=therapist)):
        draft.continued = True  # the API answers 200 for it, 201 for a new session
        return draft
    session = TreatmentSession(
        patient=patient, therapist=therapist, started_at=started_at or timezone.now()
    )
    session.full_clean()
    session.save()
    audit_record(action=AuditEvent.Action.CREATE, actor=therapist, obj=session, patient=patient)
    return session


@retrying_atomic
def session_update(
    *,
    session: TreatmentSession,
    user: User,
    fields: dict | None = None,
    pain: list[dict] | None = None,
    trigger_points: list[dict] | None = None,
    mobility: list[dict] | None = None,
    factors: list[str] | None = None,
    reference_thresholds: list[dict] | None = None,
) -> TreatmentSession:
    """Save a draft. `fields` are the session's own columns (SOAP, start, duration); each list,
    when given, is the draft's whole set of that kind and replaces the previous one: the page
    autosaves its full state, so a repeated or late save converges instead of duplicating.

    Raises ValidationError with per-field messages (list items as `trigger_points.2.tenderness`),
    and nothing is written unless everything is valid."""
    _require_clinician(user, session.patient)
    require_author(user=user, session=session)
    session = _lock_draft(session)
    started_at = session.started_at
    errors = _set_session_fields(session, fields or {})
    scores = _built_rows(pain, partial(_pain_row, session), "pain", errors)
    if any(s.source not in SESSION_PAIN_SOURCES for s in scores):
        errors["pain"] = ["Session pain is recorded before or after the session."]
    points = _built_rows(
        trigger_points, lambda item: TriggerPoint(session=session, **item), "trigger_points", errors
    )
    measures = _built_rows(mobility, partial(_mobility_row, session), "mobility", errors)
    found = _built_rows(
        [{"factor": code} for code in factors or []],
        lambda item: SessionFactor(session=session, **item),
        "factors",
        errors,
    )
    references = _built_rows(
        reference_thresholds,
        lambda item: ReferenceThreshold(session=session, **item),
        "reference_thresholds",
        errors,
    )
    if errors:
        raise ValidationError(errors)

    session.save()
    # The reports' derived rows follow the scores, the points, the measurements and the
    # session's time.
    summarised = session.started_at != started_at
    for given, existing, built in (
        (pain, session.pain_scores.filter(source__in=SESSION_PAIN_SOURCES), scores),
        (trigger_points, session.trigger_points.all(), points),
        (mobility, session.mobility.all(), measures),
    ):
        replaced = given is not None and _rows_replaced(existing, built)
        summarised = summarised or replaced
    if summarised:
        summaries_refresh(patient_ids=[session.patient_id])
    # No derived table reads the factors or the reference thresholds.
    if factors is not None:
        _rows_replaced(session.factors.all(), found)
    if reference_thresholds is not None:
        _rows_replaced(session.reference_thresholds.all(), references)
    audit_record(action=AuditEvent.Action.UPDATE, actor=user, obj=session, patient=session.patient)
    return session


def _set_session_fields(session: TreatmentSession, fields: dict) -> dict[str, list[str]]:
    """Set the session's own columns; their per-field messages (empty when valid)."""
    for name, value in fields.items():
        if name not in (*SOAP_FIELDS, "started_at", "duration_minutes"):
            raise ValueError(f"{name} is not a session field")
        setattr(session, name, value)
    try:
        session.full_clean()
    except ValidationError as exc:
        return dict(exc.message_dict)
    return {}


def _pain_row(session: TreatmentSession, item: dict) -> PainScore:
    recorded_at = item.get("recorded_at") or session.started_at
    values = {k: v for k, v in item.items() if k != "recorded_at"}
    return PainScore(patient=session.patient, session=session, recorded_at=recorded_at, **values)


def _mobility_row(session: TreatmentSession, item: dict) -> MobilityMeasurement:
    measured_at = item.get("measured_at") or session.started_at
    values = {k: v for k, v in item.items() if k != "measured_at"}
    return MobilityMeasurement(
        session=session, patient=session.patient, measured_at=measured_at, **values
    )


def _built_rows(items, factory, prefix: str, errors: dict[str, list[str]]) -> list:
    """Unsaved, validated rows of a draft's list; each invalid item's messages are added to
    `errors` as `prefix.index.field`."""
    built = []
    for index, item in enumerate(items or []):
        try:
            built.append(_validated(factory(item)))
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors[f"{prefix}.{index}.{field}"] = messages
    return built


def _rows_replaced(existing, built: list) -> bool:
    """Replace the stored rows with `built` unless they already are the same."""
    if _same_rows(existing, built):
        return False
    existing.delete()
    existing.model.objects.bulk_create(built)
    return True


@retrying_atomic
def session_sign(
    *, session: TreatmentSession, user: User, acknowledge_red_flags: bool = False
) -> TreatmentSession:
    """Lock the note. A patient with an active red flag needs the signer's explicit, stored
    acknowledgement (domain.md: caution flags adapt pressure; refer flags stop treatment)."""
    _require_clinician(user, session.patient)
    session = _lock_draft(session)
    if user.pk != session.therapist_id:
        raise PermissionDenied("A note is signed by the therapist who wrote it.")
    gaps = session.signing_gaps(requirements=NoteRequirements.for_clinic(session.patient.clinic_id))
    if active_red_flags(patient=session.patient) and not acknowledge_red_flags:
        gaps["acknowledge_red_flags"] = [_("This patient has active red flags: acknowledge them.")]
    if gaps:
        raise ValidationError(gaps)
    session.status = TreatmentSession.Status.SIGNED
    session.signed_at = timezone.now()
    session.signed_by = user
    session.red_flags_acknowledged = acknowledge_red_flags
    # The stored row is still a draft, so the model's lock lets this one transition through.
    session.save()
    audit_record(action=AuditEvent.Action.SIGN, actor=user, obj=session, patient=session.patient)
    # Scheduling books the check-in in this same transaction (scheduling/signals.py).
    session_signed.send(sender=TreatmentSession, session=session, actor=user)
    return session


@retrying_atomic
def session_discard(*, session: TreatmentSession, user: User) -> TreatmentSession:
    """Set a draft aside for good. The row stays (who discarded it and when, with its audit
    event); its scores, points and measurements are removed so the charts and reports no longer
    count them, and PostgreSQL keeps their last state in the record history. A signed note is
    never discarded (SignedRecordLocked)."""
    _require_clinician(user, session.patient)
    require_author(user=user, session=session)
    session = TreatmentSession.objects.select_for_update(no_key=True).get(pk=session.pk)
    if session.is_signed:
        raise SignedRecordLocked(f"Session {session.pk} is signed; write an addendum.")
    if session.is_discarded:
        return session
    session.discarded_at = timezone.now()
    session.discarded_by = user
    session.save()
    session.pain_scores.filter(source__in=SESSION_PAIN_SOURCES).delete()
    session.trigger_points.all().delete()
    session.mobility.all().delete()
    session.factors.all().delete()
    session.reference_thresholds.all().delete()
    summaries_refresh(patient_ids=[session.patient_id])
    audit_record(action=AuditEvent.Action.DISCARD, actor=user, obj=session, patient=session.patient)
    return session


@retrying_atomic
def addendum_add(
    *,
    session: TreatmentSession,
    author: User,
    reason: str,
    text: str,
    kind: str = "correction",
    corrections: list[dict] | None = None,
) -> Addendum:
    """Correct or complete a signed note without touching it. A correction may amend trigger
    points (`corrections`: dicts of `trigger_point` and the muscle, side, tenderness or
    pressure it should have had); the history and reports then read the corrected values."""
    _require_clinician(author, session.patient)
    session = TreatmentSession.objects.get(pk=session.pk)  # the stored status, not a stale copy
    if not session.is_signed:
        raise ValidationError({"session": ["A draft is edited directly; addenda follow signing."]})
    addendum = Addendum(session=session, author=author, reason=reason, text=text, kind=kind)
    addendum.full_clean()
    rows = _corrections(session, addendum, corrections or [])
    addendum.save()
    for row in rows:
        row.addendum = addendum
    PointCorrection.objects.bulk_create(rows)
    if rows:
        summaries_refresh(patient_ids=[session.patient_id])
    audit_record(
        action=AuditEvent.Action.CREATE, actor=author, obj=addendum, patient=session.patient
    )
    return addendum


def _corrections(session: TreatmentSession, addendum: Addendum, items: list[dict]) -> list:
    """Validated, unsaved correction rows; a point of another session is refused."""
    if items and addendum.kind != Addendum.Kind.CORRECTION:
        raise ValidationError({"kind": [_("Only a correction amends trigger points.")]})
    own = {point.pk: point for point in session.trigger_points.all()}
    errors: dict[str, list[str]] = {}
    rows = []
    for index, item in enumerate(items):
        point = item.get("trigger_point")
        point_id = getattr(point, "pk", point)
        if point_id not in own:
            errors[f"corrections.{index}.trigger_point"] = [
                _("Choose a trigger point of this note.")
            ]
            continue
        values = {k: v for k, v in item.items() if k != "trigger_point" and v not in (None, "")}
        row = PointCorrection(addendum=addendum, trigger_point=own[point_id], **values)
        if not values:
            errors[f"corrections.{index}.__all__"] = [
                _("Say what changes: the muscle, the side or a score.")
            ]
            continue
        try:
            row.full_clean(exclude=["addendum"])
        except ValidationError as exc:
            errors |= {f"corrections.{index}.{k}": v for k, v in exc.message_dict.items()}
        rows.append(row)
    if errors:
        raise ValidationError(errors)
    return rows


def _require_manager(user: User, clinic_id: int) -> None:
    if clinic_id not in access_for(user).managed_clinic_ids:
        raise PermissionDenied("Only the clinic's managers change how its notes are recorded.")


@retrying_atomic
def note_requirements_update(*, clinic: Clinic, actor: User, **values) -> NoteRequirements:
    """A manager sets what a note needs before it may be signed (from the next signature on)."""
    _require_manager(actor, clinic.pk)
    requirements, _created = NoteRequirements.objects.select_for_update().get_or_create(
        clinic=clinic
    )
    for name, value in values.items():
        setattr(requirements, name, value)
    requirements.full_clean()
    requirements.save()
    audit_record(
        action=AuditEvent.Action.UPDATE, actor=actor, obj=requirements, clinic_id=clinic.pk
    )
    return requirements


@retrying_atomic
def trigger_point_settings_update(*, clinic: Clinic, actor: User, **values) -> TriggerPointSettings:
    """A manager sets the clinic's minimal detectable change, reference site and the points a
    forecast group needs (the forecasts follow at the next nightly rebuild)."""
    _require_manager(actor, clinic.pk)
    settings, _created = TriggerPointSettings.objects.select_for_update().get_or_create(
        clinic=clinic
    )
    for name, value in values.items():
        setattr(settings, name, value)
    settings.full_clean()
    settings.save()
    audit_record(action=AuditEvent.Action.UPDATE, actor=actor, obj=settings, clinic_id=clinic.pk)
    return settings


@retrying_atomic
def soap_template_save(
    *, clinic: Clinic, actor: User, template: SoapTemplate | None = None, **values
) -> SoapTemplate:
    """Add a clinic's SOAP template, or change `template`; a name is used once per clinic."""
    _require_manager(actor, clinic.pk)
    template = template or SoapTemplate(clinic=clinic)
    if template.clinic_id != clinic.pk:
        raise PermissionDenied("A template belongs to its clinic.")
    for name, value in values.items():
        setattr(template, name, value)
    template.full_clean()
    created = template.pk is None
    template.save()
    action = AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE
    audit_record(action=action, actor=actor, obj=template, clinic_id=clinic.pk)
    return template


@retrying_atomic
def soap_template_delete(*, template: SoapTemplate, actor: User) -> None:
    """Remove a template (notes written from it keep their text: it was copied into them)."""
    _require_manager(actor, template.clinic_id)
    audit_record(
        action=AuditEvent.Action.DISCARD, actor=actor, obj=template, clinic_id=template.clinic_id
    )
    template.delete()
