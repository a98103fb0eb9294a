"""Writes about patients: registration and edits, merging duplicates, intake invitations, the
patient's intake steps, staff review.

Each function is one atomic step. The patient's side works on the invitation row under a lock,
re-checking that it is still open, so a link used in another tab or expired mid-way changes
nothing."""

import datetime as dt
from collections.abc import Callable, Collection

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import ForeignObjectRel, Model
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from clinic.audit import audit_record
from clinic.links import LinkUnavailable
from clinic.models import AuditEvent, Clinic, Membership, Role
from clinic.permissions import access_for
from clinic.tokens import token_new
from clinic.transactions import retrying_atomic
from clinic.types import User

from .forms import ANTICOAGULANT_NAMES, SCREENED_FLAGS, STEPS, pain_ratings, psfs_items, step_form
from .models import (
    Channel,
    FunctionalScore,
    IntakeInvitation,
    IntakeSubmission,
    PainScore,
    PainSource,
    Patient,
    RedFlag,
    date_of_birth_problem,
)
from .selectors import patient_duplicates_of
from .signals import intake_linked, patient_merged, patient_merging
from .summaries import pain_courses_refresh, psfs_courses_refresh


class IntakeIncomplete(Exception):
    """A step's saved answers are missing or no longer valid; `step` is its 1-based number."""

    def __init__(self, step: int):
        super().__init__(f"intake step {step} is incomplete")
        self.step = step


# What the registration page and the API write; the rest of the record comes from the intake.
REGISTRATION_FIELDS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "phone",
    "phone_other",
    "email",
    "preferred_language",
    "preferred_channel",
    "consents_to_email",
    "consents_to_sms",
    "emergency_contact_name",
    "emergency_contact_phone",
    "emergency_contact_relation",
    "staff_note",
)
# A change to one of these may make the record someone else's double.
IDENTITY_FIELDS = frozenset(
    {"first_name", "last_name", "date_of_birth", "phone", "phone_other", "email"}
)


class PossibleDuplicates(ValidationError):
    """Registered patients who may be the same person; nothing was written. The caller shows
    them and may write anyway with `confirm_duplicate=True`."""

    def __init__(self, matches: list[Patient]):
        super().__init__(
            {
                "duplicates": [
                    ValidationError(
                        _(
                            "This may be a patient already registered. Check the records "
                            "listed, or confirm that this is someone else."
                        ),
                        code="duplicate",
                    )
                ]
            }
        )
        self.matches = matches


def _require_registering(user: User, clinic_id: int) -> None:
    if clinic_id not in access_for(user).registering_clinic_ids:
        raise PermissionDenied(
            _("Patients are registered and edited by the front desk and managers.")
        )


def _registration_errors(patient: Patient) -> dict[str, list]:
    """What the model cannot say alone: a believable date of birth (in the clinic's calendar)
    and reminder consent that can be acted on."""
    errors: dict[str, list] = {}
    born = patient.date_of_birth
    problem = isinstance(born, dt.date) and date_of_birth_problem(born, zone=patient.clinic.zone)
    if problem:
        errors["date_of_birth"] = [problem]
    if patient.consents_to_email and not patient.email:
        errors["email"] = [_("Email reminders need an email address.")]
    if patient.consents_to_sms and not patient.phone:
        errors["phone"] = [_("Text-message reminders need a mobile phone number.")]
    channel = patient.preferred_channel
    if channel and not patient.consents_to(channel):
        errors["preferred_channel"] = [
            _("The patient has not agreed to reminders by this channel.")
        ]
    return errors


def _validate_registration(patient: Patient) -> None:
    errors: dict[str, list] = {}
    try:
        patient.full_clean(exclude=["clinic", "merged_into"])
    except ValidationError as exc:
        errors = exc.message_dict
    for field, messages in _registration_errors(patient).items():
        errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _check_duplicates(patient: Patient, changed: Collection[str] | None = None) -> None:
    """PossibleDuplicates when another record matches. On an edit (`changed`), only the tests
    the changed fields take part in: a twin someone already confirmed is not named again each
    time the phone is corrected."""
    matches = patient_duplicates_of(patient=patient, changed=changed)
    if matches:
        raise PossibleDuplicates(matches)


@retrying_atomic
def patient_register(
    *, actor: User, clinic: Clinic, details: dict, confirm_duplicate: bool = False
) -> Patient:
    """Register a patient (a walk-in, a phone booking) from the REGISTRATION_FIELDS in
    `details`. Raises ValidationError per field, PossibleDuplicates unless `confirm_duplicate`,
    PermissionDenied for anyone but the clinic's front desk and managers."""
    _require_registering(actor, clinic.pk)
    unknown = set(details) - set(REGISTRATION_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be set here.")] for name in unknown})
    # Registrations in one clinic take turns, so two desks cannot both miss the other's record.
    Clinic.objects.select_for_update().filter(pk=clinic.pk).first()
    patient = Patient(clinic=clinic, **details)
    _validate_registration(patient)
    if not confirm_duplicate:
        _check_duplicates(patient)
    patient.save()
    audit_record(action=AuditEvent.Action.CREATE, actor=actor, obj=patient, patient=patient)
    return patient


@retrying_atomic
def patient_update(
    *, actor: User, patient: Patient, changes: dict, confirm_duplicate: bool = False
) -> Patient:
    """Apply `changes` (some REGISTRATION_FIELDS) to a patient the actor's selector returned.
    The database keeps the row's past state (RecordVersion); the audit row names the fields
    that changed, never their values. Nothing changed writes nothing."""
    _require_registering(actor, patient.clinic_id)
    unknown = set(changes) - set(REGISTRATION_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be set here.")] for name in unknown})
    Clinic.objects.select_for_update().filter(pk=patient.clinic_id).first()
    patient = Patient.objects.select_for_update().select_related("clinic").get(pk=patient.pk)
    if patient.is_restricted or patient.is_merged:
        raise PermissionDenied(_("This record can no longer be changed."))
    changed = [
        name
        for name in REGISTRATION_FIELDS
        if name in changes and changes[name] != getattr(patient, name)
    ]
    if not changed:
        return patient
    for name in changed:
        setattr(patient, name, changes[name])
    _validate_registration(patient)
    if not confirm_duplicate and IDENTITY_FIELDS.intersection(changed):
        _check_duplicates(patient, changed)
    patient.save(update_fields=[*changed, "updated_at"])
    audit_record(
        action=AuditEvent.Action.UPDATE, actor=actor, obj=patient, patient=patient, fields=changed
    )
    return patient


def _patient_references() -> list[tuple[type[Model], str]]:
    """Every (model, column) whose rows point at a patient, found from the models themselves
    so that a table added later (an appointment, a waitlist entry) moves too. Derived report
    tables are left out: they are rebuilt, not moved."""
    references = []
    for relation in Patient._meta.get_fields(include_hidden=True):
        if not isinstance(relation, ForeignObjectRel) or relation.many_to_many:
            continue
        model = relation.related_model
        if isinstance(model, type) and not getattr(model, "is_derived", False):
            references.append((model, relation.field.column))
    return references


def _rows_move(model: type[Model], column: str, *, merged: Patient, survivor: Patient) -> int:
    """Point `model`'s `column` at the survivor. On PostgreSQL through the owner's function,
    the one way past the signed-note lock (treatments migration 0012)."""
    if connection.vendor != "postgresql":
        return model._base_manager.filter(**{column: merged.pk}).update(**{column: survivor.pk})
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT clinic_merge_patient_rows(%s::regclass, %s, %s, %s)",
            [model._meta.db_table, column, merged.pk, survivor.pk],
        )
        return cursor.fetchone()[0]


@retrying_atomic
def patient_merge(*, actor: User, survivor: Patient, merged: Patient) -> Patient:
    """A manager merges a duplicate record into the one that stays: every row pointing at the
    duplicate (sessions and signed notes, scores, intakes, invitations, follow-ups, and tables
    added later) moves to the survivor in one transaction; the duplicate stays as a tombstone
    (`merged_into`), out of every list and search, never deleted. Both patients come from the
    actor's selectors; PermissionDenied for anyone but a manager of their clinic."""
    if survivor.clinic_id not in access_for(actor).managed_clinic_ids:
        raise PermissionDenied(_("Duplicate records are merged by a manager of the clinic."))
    if survivor.pk == merged.pk:
        raise ValidationError({"duplicate": [_("Choose another record to merge.")]})
    # Locked in id order, so two merges of the same pair cannot deadlock.
    locked = {
        patient.pk: patient
        for patient in Patient.objects.select_for_update()
        .filter(pk__in=[survivor.pk, merged.pk])
        .order_by("pk")
    }
    survivor, merged = locked[survivor.pk], locked[merged.pk]
    if survivor.clinic_id != merged.clinic_id:
        raise ValidationError({"duplicate": [_("The records belong to different clinics.")]})
    if any(p.is_merged or p.is_restricted for p in (survivor, merged)):
        raise ValidationError({"duplicate": [_("A merged or restricted record cannot be merged.")]})
    patient_merging.send(sender=Patient, survivor=survivor, merged=merged, actor=actor)
    merged.merged_into = survivor
    merged.merged_at = timezone.now()
    merged.save(update_fields=["merged_into", "merged_at", "updated_at"])
    moved = [
        model._meta.label_lower
        for model, column in _patient_references()
        if _rows_move(model, column, merged=merged, survivor=survivor)
    ]
    # The derived report tables: pain courses here, the rest by the apps above (the signal).
    pain_courses_refresh(patient_ids=[survivor.pk, merged.pk])
    patient_merged.send(sender=Patient, survivor=survivor, merged=merged, actor=actor)
    # Filed under both: each record's trail shows the merge. `fields` names the moved tables.
    for patient in (survivor, merged):
        audit_record(
            action=AuditEvent.Action.MERGE, actor=actor, obj=merged, patient=patient, fields=moved
        )
    return survivor


def _require_staff(user: User, clinic_id: int) -> None:
    if clinic_id not in access_for(user).clinic_ids:
        raise PermissionDenied("Only staff of the clinic work on its intakes.")


@retrying_atomic
def intake_invite(
    *,
    clinic: Clinic,
    created_by: User,
    email: str,
    build_link: Callable[[str], str],
    patient: Patient | None = None,
    language: str = "",
    deliver: bool = True,
) -> IntakeInvitation:
    """Create a one-time intake link and email it once the invitation is committed, or with
    `deliver=False` (a registered patient's link the front desk copies and passes on) only
    create it. `build_link` turns the raw token into the absolute URL; the raw token is never
    stored: the link is on the returned invitation (`.link`) for the caller to show once."""
    _require_staff(created_by, clinic.pk)
    if patient is not None and patient.clinic_id != clinic.pk:
        raise ValidationError({"patient": ["The patient belongs to another clinic."]})
    if deliver and not email:
        raise ValidationError({"email": [_("An email address is needed to send the link.")]})
    if not deliver and patient is None:
        raise ValidationError({"patient": [_("A link to copy is made for a registered patient.")]})
    raw, hashed = token_new()
    now = timezone.now()
    invitation = IntakeInvitation(
        clinic=clinic,
        patient=patient,
        email=email,
        language=language,
        token_hash=hashed,
        created_by=created_by,
        created_at=now,
        expires_at=now + dt.timedelta(days=settings.INTAKE_LINK_VALID_DAYS),
    )
    invitation.full_clean()
    invitation.save()
    audit_record(
        action=AuditEvent.Action.CREATE,
        actor=created_by,
        obj=invitation,
        patient=patient,
        clinic_id=clinic.pk,
    )
    link = invitation.link = build_link(raw)
    if deliver:
        transaction.on_commit(lambda: _send_invitation(invitation, link))
    return invitation


def _send_invitation(invitation: IntakeInvitation, link: str) -> None:
    language = invitation.language or (
        invitation.patient.preferred_language if invitation.patient else settings.LANGUAGE_CODE
    )
    context = {"invitation": invitation, "clinic": invitation.clinic, "link": link}
    with translation.override(language):
        subject = render_to_string("patients/email/intake_invitation_subject.txt", context)
        body = render_to_string("patients/email/intake_invitation.txt", context)
    send_mail(" ".join(subject.split()), body, None, [invitation.email])


def _lock_open(invitation: IntakeInvitation) -> IntakeInvitation:
    locked = IntakeInvitation.objects.select_for_update().get(pk=invitation.pk)
    if not locked.is_open:
        raise LinkUnavailable
    return locked


@retrying_atomic
def intake_step_save(*, invitation: IntakeInvitation, step: int, answers: dict) -> IntakeSubmission:
    """Keep one valid step's answers and move the form on; nothing clinical is written yet."""
    invitation = _lock_open(invitation)
    submission, _created = IntakeSubmission.objects.get_or_create(
        invitation=invitation,
        defaults={"clinic_id": invitation.clinic_id, "patient_id": invitation.patient_id},
    )
    key = STEPS[step - 1].key
    if key == "consent":
        answers = {**answers, "signed_at": timezone.now().isoformat()}
    submission.answers = {**submission.answers, key: answers}
    submission.current_step = max(submission.current_step, step + 1)
    submission.save(update_fields=["answers", "current_step", "updated_at"])
    audit_record(
        action=AuditEvent.Action.UPDATE,
        actor_label="patient-link",
        obj=submission,
        patient_id=submission.patient_id,
        clinic_id=submission.clinic_id,
    )
    return submission


def _validated_steps(answers: dict) -> dict[str, dict]:
    """Every step's answers re-validated by its own form, as cleaned data."""
    cleaned = {}
    for number, step in enumerate(STEPS, start=1):
        if step.form_class is None:
            continue
        form = step_form(step, answers, data=answers.get(step.key, {}))
        if step.key not in answers or not form.is_valid():
            raise IntakeIncomplete(number)
        cleaned[step.key] = form.cleaned_data
    return cleaned


def _red_flags(cleaned: dict) -> list[dict]:
    screened = cleaned["red_flags"]
    flags = [
        {"code": flag.value, "details": screened[f"{flag.value}_details"]}
        for flag in SCREENED_FLAGS
        if screened[flag.value] == "yes"
    ]
    medicines = cleaned["medications"]
    named = ANTICOAGULANT_NAMES.findall(medicines["medications"])
    if medicines["takes_anticoagulants"] == "yes" or named:
        details = medicines["anticoagulant_details"] or ", ".join(sorted(set(named)))
        flags.append({"code": RedFlag.ANTICOAGULANTS.value, "details": details})
    return flags


@retrying_atomic
def intake_submit(*, invitation: IntakeInvitation) -> IntakeSubmission:
    """Check every step again, write the clinical columns and use up the link, all at once.
    Raises IntakeIncomplete (nothing written) when a step is missing or invalid."""
    invitation = _lock_open(invitation)
    submission = IntakeSubmission.objects.select_for_update().filter(invitation=invitation).first()
    if submission is None:
        raise IntakeIncomplete(1)
    cleaned = _validated_steps(submission.answers)
    history, onset = cleaned["history"], cleaned["onset"]
    consent = cleaned["consent"]
    flags = _red_flags(cleaned)
    now = timezone.now()
    submission.chief_complaint = history["chief_complaint"]
    submission.onset_date = onset["onset_date"]
    submission.duration_category = onset["duration_category"]
    submission.red_flags = flags
    submission.medications = cleaned["medications"]["medications"]
    submission.takes_anticoagulants = any(f["code"] == RedFlag.ANTICOAGULANTS for f in flags)
    submission.goals = cleaned["goals"]["goals"]
    submission.consent_to_treatment = consent["consent_to_treatment"]
    submission.consent_to_reminders = consent["consent_to_reminders"]
    submission.signature_name = consent["signature_name"]
    submission.signed_at = dt.datetime.fromisoformat(submission.answers["consent"]["signed_at"])
    submission.status = IntakeSubmission.Status.SUBMITTED
    submission.submitted_at = now
    submission.full_clean()
    submission.save()
    invitation.used_at = now
    invitation.save(update_fields=["used_at"])
    audit_record(
        action=AuditEvent.Action.CREATE,
        actor_label="patient-link",
        obj=submission,
        patient_id=submission.patient_id,
        clinic_id=submission.clinic_id,
    )
    return submission


def _apply_answers(patient: Patient, answers: dict) -> None:
    """What the intake says about the person (contact, activity, consent to reminders)."""
    personal, daily, consent = answers["personal"], answers["daily_life"], answers["consent"]
    patient.email = personal.get("email") or patient.email
    patient.phone = personal.get("phone") or patient.phone
    patient.occupation = personal.get("occupation") or patient.occupation
    patient.activity_profile = daily["activity_profile"]
    habits = [daily.get("postures", ""), daily.get("sport", "")]
    patient.postures = "\n".join(h for h in habits if h) or patient.postures
    if consent.get("consent_to_reminders"):
        channel = consent["reminder_channel"]
        patient.preferred_channel = channel
        patient.consents_to_email = patient.consents_to_email or channel == Channel.EMAIL
        patient.consents_to_sms = patient.consents_to_sms or channel == Channel.SMS


@retrying_atomic
def intake_link(*, intake_id: int, user: User, patient: Patient | None = None) -> Patient:
    """Attach a submitted intake to `patient` (or a new patient made from its details) and turn
    its ratings into `intake` pain scores and PSFS items, dated when the patient submitted."""
    submission = (
        IntakeSubmission.objects.select_for_update(of=("self",))
        .select_related("invitation")
        .get(pk=intake_id)
    )
    _require_staff(user, submission.clinic_id)
    if submission.status != IntakeSubmission.Status.SUBMITTED:
        raise ValidationError({"patient": ["This intake has already been linked."]})
    if patient is not None and patient.clinic_id != submission.clinic_id:
        raise ValidationError({"patient": ["The patient belongs to another clinic."]})
    answers = submission.answers
    if patient is None:
        personal = answers["personal"]
        invitation = submission.invitation
        patient = Patient(
            clinic_id=submission.clinic_id,
            first_name=personal["first_name"],
            last_name=personal["last_name"],
            date_of_birth=dt.date.fromisoformat(personal["date_of_birth"]),
            preferred_language=(invitation and invitation.language) or settings.LANGUAGE_CODE,
        )
    _apply_answers(patient, answers)
    patient.full_clean()
    patient.save()

    # A submitted intake (the status checked above) has its submission time.
    when: dt.datetime = submission.submitted_at  # type: ignore[assignment]
    PainScore.objects.bulk_create(
        PainScore(
            patient=patient,
            recorded_at=when,
            source=PainSource.INTAKE,
            region=region,
            side=side,
            score=score,
        )
        for region, side, score in pain_ratings(answers.get("pain", {}))
    )
    pain_courses_refresh(patient_ids=[patient.pk])
    FunctionalScore.objects.bulk_create(
        FunctionalScore(
            patient=patient,
            recorded_at=when,
            source=PainSource.INTAKE,
            instrument=FunctionalScore.Instrument.PSFS,
            item=item,
            activity=activity,
            score=score,
        )
        for item, activity, score in psfs_items(answers.get("goals", {}))
    )
    psfs_courses_refresh(patient_ids=[patient.pk])
    submission.patient = patient
    submission.status = IntakeSubmission.Status.REVIEWED
    submission.reviewed_by = user
    submission.reviewed_at = timezone.now()
    submission.save(update_fields=["patient", "status", "reviewed_by", "reviewed_at", "updated_at"])
    audit_record(action=AuditEvent.Action.UPDATE, actor=user, obj=submission, patient=patient)
    intake_linked.send(sender=Patient, patient=patient, actor=user)
    return patient


@retrying_atomic
def intake_red_flags_clear(*, intake_id: int, user: User, note: str) -> IntakeSubmission:
    """A therapist judges the intake's red flags no longer stop or adapt treatment; the note
    says why and stays with the intake."""
    submission = IntakeSubmission.objects.select_for_update().get(pk=intake_id)
    is_therapist = Membership.objects.filter(
        user=user, clinic_id=submission.clinic_id, role=Role.THERAPIST, is_active=True
    ).exists()
    if not is_therapist:
        raise PermissionDenied("Red flags are cleared by a therapist of the clinic.")
    if not submission.has_active_red_flags:
        raise ValidationError({"note": ["There are no active red flags on this intake."]})
    if not note.strip():
        raise ValidationError({"note": ["Say why the red flags are cleared."]})
    submission.red_flags_cleared_by = user
    submission.red_flags_cleared_at = timezone.now()
    submission.red_flags_clearance_note = note.strip()
    submission.save(
        update_fields=[
            "red_flags_cleared_by",
            "red_flags_cleared_at",
            "red_flags_clearance_note",
            "updated_at",
        ]
    )
    audit_record(
        action=AuditEvent.Action.UPDATE,
        actor=user,
        obj=submission,
        patient_id=submission.patient_id,
        clinic_id=submission.clinic_id,
    )
    return submission
