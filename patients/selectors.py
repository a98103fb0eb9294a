"""Reads about patients. Every function takes the user and goes through `visible`, or a patient
that a scoped selector returned."""

import contextlib
import datetime as dt
from collections.abc import Collection

from django.core.exceptions import FieldDoesNotExist
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Concat

from clinic.models import AuditEvent
from clinic.permissions import access_for, unrestricted, visible
from clinic.tokens import token_hash
from clinic.types import User

from .models import (
    FunctionalScore,
    IntakeInvitation,
    IntakeSubmission,
    Patient,
    email_key,
    name_key,
    phone_key,
    red_flag_rows,
)

DUPLICATES_SHOWN = 10


def patient_list(*, user: User, search: str = "", restricted: bool = False) -> QuerySet[Patient]:
    """Patients the user may see. `restricted=True` (the staff page's list, where a manager
    finds an erasure request to handle) keeps restricted records for the clinic's managers."""
    patients = visible(user, Patient, restricted=restricted).select_related("clinic")
    for term in search.split():
        match = (
            Q(first_name__icontains=term)
            | Q(last_name__icontains=term)
            | Q(phone__icontains=term)
            | Q(email__icontains=term)
        )
        with contextlib.suppress(ValueError):  # a date of birth typed as 1980-05-17
            match |= Q(date_of_birth=dt.date.fromisoformat(term))
        patients = patients.filter(match)
    return patients


def patient_duplicates(
    *,
    clinic_id: int,
    first_name: str,
    last_name: str,
    date_of_birth: dt.date | None,
    phone: str = "",
    phone_other: str = "",
    email: str = "",
    exclude_id: int | None = None,
) -> list[Patient]:
    """Registered patients of the clinic who may be the same person: the same name (whatever
    the accents, case and spacing) and date of birth, or a phone number (its digits, either
    phone) or the email in common. Each test is one of the match indexes."""
    match = Q()
    if date_of_birth is not None:
        match |= Q(match_name=name_key(first_name, last_name), date_of_birth=date_of_birth)
    phones = [key for key in (phone_key(phone), phone_key(phone_other)) if key]
    if phones:
        match |= Q(match_phone__in=phones) | Q(match_phone_other__in=phones)
    if email_key(email):
        match |= Q(match_email=email_key(email))
    if not match:
        return []
    candidates = Patient.objects.filter(match, unrestricted(Patient), clinic_id=clinic_id)
    if exclude_id is not None:
        candidates = candidates.exclude(pk=exclude_id)
    return list(candidates.order_by("last_name", "first_name", "id")[:DUPLICATES_SHOWN])


def patient_get(*, user: User, patient_id: int, restricted: bool = False) -> Patient:
    """The patient if `user` may see them; Patient.DoesNotExist otherwise, whether or not the
    id exists. A restricted record answers only with `restricted=True`, to its clinic's
    managers."""
    return visible(user, Patient, restricted=restricted).select_related("clinic").get(pk=patient_id)


def active_red_flags(*, patient: Patient) -> list[dict]:
    """Red flags of the patient's submitted intakes that no therapist has cleared yet."""
    intakes = patient.intakes.exclude(status=IntakeSubmission.Status.IN_PROGRESS).filter(
        red_flags_cleared_at__isnull=True
    )
    return [flag for flags in intakes.values_list("red_flags", flat=True) for flag in flags]


def pain_trend(*, patient: Patient) -> QuerySet:
    """Every rated pain score of one patient, oldest first: one series per region, side and
    source. Unable-to-rate rows have no number and are left out of the trend."""
    return (
        patient.pain_scores.filter(score__isnull=False)
        .order_by("recorded_at", "id")
        .values("recorded_at", "source", "region", "side", "score", "session_id")
    )


def psfs_ratings(*, patient: Patient) -> QuerySet:
    """Every PSFS rating of one patient, by activity and in time. `ability` reads the same way
    for both instruments (10 = as before the problem): PSFS 2.0's reversed scale is turned
    round, as the clinic-wide report does."""
    return (
        patient.functional_scores.order_by("activity", "recorded_at", "item")
        .values("activity", "recorded_at", "source")
        .annotate(
            ability=Case(
                When(instrument=FunctionalScore.Instrument.PSFS_2, then=10 - F("score")),
                default=F("score"),
                output_field=IntegerField(),
            )
        )
    )


def latest_intake(*, patient: Patient) -> IntakeSubmission | None:
    """The patient's most recent submitted intake, for the chart's summary."""
    return (
        patient.intakes.exclude(status=IntakeSubmission.Status.IN_PROGRESS)
        .order_by("-submitted_at")
        .first()
    )


# Intakes. The patient's side finds its invitation by token; staff read intakes in two layers:
# the administrative summary (who, when, linked to whom) for every role, and the answers, which
# are clinical, only through `visible`.

MAX_TOKEN_LENGTH = 100


def intake_invitation_open(*, token: str) -> IntakeInvitation:
    """The invitation behind a link if it can still be used; IntakeInvitation.DoesNotExist for
    unknown, used or expired tokens alike, so callers cannot tell them apart."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise IntakeInvitation.DoesNotExist
    invitation = (
        IntakeInvitation.objects.select_related("clinic", "patient")
        .filter(unrestricted(IntakeInvitation), token_hash=token_hash(token))
        .first()
    )
    if invitation is None or not invitation.is_open:
        raise IntakeInvitation.DoesNotExist
    return invitation


def intake_in_progress(*, invitation: IntakeInvitation) -> IntakeSubmission | None:
    return IntakeSubmission.objects.filter(invitation=invitation).first()


def _summary_fields() -> dict:
    personal = "answers__personal__"
    return {
        "first_name": KT(f"{personal}first_name"),
        "last_name": KT(f"{personal}last_name"),
        "date_of_birth": KT(f"{personal}date_of_birth"),
        "email": KT(f"{personal}email"),
        "phone": KT(f"{personal}phone"),
        "patient_name": Concat(
            "patient__first_name", Value(" "), "patient__last_name", output_field=CharField()
        ),
    }


def _staff_intakes(user: User) -> QuerySet[IntakeSubmission]:
    """Intakes' administrative side, for any staff of the clinic (the answers: `intake_get`)."""
    return IntakeSubmission.objects.filter(
        unrestricted(IntakeSubmission), clinic_id__in=access_for(user).clinic_ids
    ).exclude(status=IntakeSubmission.Status.IN_PROGRESS)


def intake_queue(*, user: User, reviewed_since: dt.datetime) -> QuerySet:
    """Submitted intakes awaiting review, then those reviewed since `reviewed_since`, as rows of
    administrative fields. `open_red_flags` is computed only where the user reads clinical
    content; elsewhere it is always False."""
    clinical = access_for(user).clinical_clinic_ids
    open_flags = Case(
        When(
            Q(clinic_id__in=clinical, red_flags_cleared_at__isnull=True) & ~Q(red_flags=[]),
            then=Value(True),
        ),
        default=Value(False),
        output_field=BooleanField(),
    )
    awaiting = Case(
        When(status=IntakeSubmission.Status.SUBMITTED, then=Value(0)),
        default=Value(1),
    )
    return (
        _staff_intakes(user)
        .filter(Q(status=IntakeSubmission.Status.SUBMITTED) | Q(reviewed_at__gte=reviewed_since))
        .annotate(open_red_flags=open_flags, awaiting=awaiting, **_summary_fields())
        .order_by("awaiting", "-submitted_at")
        .values(
            "id",
            "clinic_id",
            "status",
            "submitted_at",
            "patient_id",
            "open_red_flags",
            "clinic__time_zone",
            *_summary_fields(),
        )
    )


def intake_summary_get(*, user: User, intake_id: int) -> dict:
    """The administrative side of a submitted intake, for any staff of its clinic."""
    rows = (
        _staff_intakes(user)
        .filter(pk=intake_id)
        .annotate(**_summary_fields())
        .values(
            "id",
            "clinic_id",
            "status",
            "submitted_at",
            "reviewed_at",
            "patient_id",
            "invitation__patient_id",
            "invitation__language",
            "clinic__time_zone",
            *_summary_fields(),
        )
    )
    row = rows.first()
    if row is None:
        raise IntakeSubmission.DoesNotExist
    return row


def intake_get(*, user: User, intake_id: int) -> IntakeSubmission:
    """The whole intake (answers, red flags) where the user reads clinical content;
    IntakeSubmission.DoesNotExist for anyone else."""
    return (
        visible(user, IntakeSubmission)
        .exclude(status=IntakeSubmission.Status.IN_PROGRESS)
        .select_related("patient", "reviewed_by", "red_flags_cleared_by")
        .get(pk=intake_id)
    )


def patients_needing_attention(*, user: User) -> QuerySet[Patient]:
    """Patients with an intake waiting for review or a red flag no therapist has cleared.
    Red flags are clinical content: `red_flagged` is computed only where the user reads it
    (for front desk it is always False, and a red flag alone brings nobody to their list)."""
    intakes = IntakeSubmission.objects.filter(patient=OuterRef("pk"))
    waiting = intakes.filter(status=IntakeSubmission.Status.SUBMITTED)
    flagged = (
        intakes.exclude(status=IntakeSubmission.Status.IN_PROGRESS)
        .exclude(red_flags=[])
        .filter(red_flags_cleared_at__isnull=True)
        .filter(clinic_id__in=access_for(user).clinical_clinic_ids)
    )
    return (
        visible(user, Patient)
        .annotate(intake_waiting=Exists(waiting), red_flagged=Exists(flagged))
        .filter(Q(intake_waiting=True) | Q(red_flagged=True))
    )


def intake_patient_candidates(*, summary: dict, limit: int = 10) -> list[Patient]:
    """Patients of the intake's clinic who may be the person who filled it: the invited patient,
    or the same last name and date of birth, or the same email."""
    match = Q(pk=summary["invitation__patient_id"]) if summary["invitation__patient_id"] else Q()
    if summary["last_name"] and summary["date_of_birth"]:
        match |= Q(last_name__iexact=summary["last_name"], date_of_birth=summary["date_of_birth"])
    if summary["email"]:
        match |= Q(email__iexact=summary["email"])
    if not match:
        return []
    return list(
        Patient.objects.filter(match, unrestricted(Patient), clinic_id=summary["clinic_id"])[:limit]
    )


def red_flag_intakes(*, user: User, patient: Patient) -> list[dict]:
    """The patient's intakes whose red flags are still active, newest first, for the chart to
    show and link to their review page (where a therapist clears them). Empty for front desk."""
    return [
        {"intake_id": pk, "submitted_at": submitted_at, "flags": flags}
        for pk, submitted_at, flags in visible(user, IntakeSubmission)
        .filter(patient=patient, red_flags_cleared_at__isnull=True)
        .exclude(status=IntakeSubmission.Status.IN_PROGRESS)
        .exclude(red_flags=[])
        .order_by("-submitted_at")
        .values_list("pk", "submitted_at", "red_flags")
    ]


def red_flags_listed(*, user: User, patient: Patient) -> list[dict]:
    """Each active red flag as a row, with the intake it came from, whose review page clears it."""
    return [
        {**row, "intake_id": intake["intake_id"]}
        for intake in red_flag_intakes(user=user, patient=patient)
        for row in red_flag_rows(intake["flags"])
    ]


def attention_list(*, user: User, limit: int = 30) -> QuerySet[Patient]:
    """The home page's patients with an intake to review or an open red flag: names only."""
    return patients_needing_attention(user=user).only("id", "first_name", "last_name")[:limit]


CHANGES_SHOWN = 20


def patient_changes(*, user: User, patient: Patient) -> list[dict]:
    """Who registered and changed the patient's record, when, and which fields (their labels,
    never values), newest first: the managers' view of the record's history. Empty for anyone
    else."""
    if patient.clinic_id not in access_for(user).managed_clinic_ids:
        return []
    events = (
        AuditEvent.objects.filter(
            patient_id=patient.pk,
            object_type=Patient._meta.label_lower,
            object_id=str(patient.pk),
            action__in=[AuditEvent.Action.CREATE, AuditEvent.Action.UPDATE],
        )
        .select_related("actor")
        .order_by("-at", "-id")[:CHANGES_SHOWN]
    )
    return [
        {
            "at": event.at,
            "who": event.actor.get_full_name() or event.actor.username
            if event.actor
            else event.actor_label,
            "registered": event.action == AuditEvent.Action.CREATE,
            "fields": [_field_label(name) for name in event.fields.split(",") if name],
        }
        for event in events
    ]


def _field_label(name: str) -> str:
    try:
        field = Patient._meta.get_field(name)
    except FieldDoesNotExist:  # a field since removed
        return name
    return str(getattr(field, "verbose_name", name))


def patient_duplicates_of(
    *, patient: Patient, changed: Collection[str] | None = None
) -> list[Patient]:
    """The registered patients who may be the same person as `patient` (a scoped one); with
    `changed`, by the tests those fields take part in only (name and birth date, phones,
    email)."""

    def compared(*fields: str) -> bool:
        return changed is None or any(field in changed for field in fields)

    by_name = compared("first_name", "last_name", "date_of_birth")
    by_phone = compared("phone", "phone_other")
    return patient_duplicates(
        clinic_id=patient.clinic_id,
        first_name=patient.first_name,
        last_name=patient.last_name,
        date_of_birth=patient.date_of_birth if by_name else None,
        phone=patient.phone if by_phone else "",
        phone_other=patient.phone_other if by_phone else "",
        email=patient.email if compared("email") else "",
        exclude_id=patient.pk,
    )


def patient_merged_survivor(*, user: User, patient_id: int) -> Patient:
    """The record a merged duplicate now lives in, if the user may see it; an old link to the
    duplicate leads there. Patient.DoesNotExist otherwise."""
    survivor_id = (
        Patient.objects.filter(pk=patient_id, merged_into__isnull=False)
        .values_list("merged_into_id", flat=True)
        .first()
    )
    if survivor_id is None:
        raise Patient.DoesNotExist
    return patient_get(user=user, patient_id=survivor_id)
