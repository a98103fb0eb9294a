"""Reads about patients. Every function takes the user and goes through `visible`, or a patient
that a scoped selector returned."""

import datetime as dt

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404

from clinic.permissions import visible

from .models import IntakeSubmission, Patient


def patient_list(*, user, search: str = "") -> QuerySet[Patient]:
    patients = visible(user, Patient).select_related("clinic")
    for term in search.split():
        match = (
            Q(first_name__icontains=term)
            | Q(last_name__icontains=term)
            | Q(phone__icontains=term)
            | Q(email__icontains=term)
        )
        try:  # a date of birth typed as 1980-05-17
            match |= Q(date_of_birth=dt.date.fromisoformat(term))
        except ValueError:
            pass
        patients = patients.filter(match)
    return patients


def patient_get(*, user, patient_id: int) -> Patient:
    """The patient if `user` may see them; 404 otherwise, whether or not the id exists."""
    return get_object_or_404(visible(user, Patient).select_related("clinic"), pk=patient_id)


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


def latest_intake(*, patient: Patient) -> IntakeSubmission | None:
    """The patient's most recent submitted intake, for the chart's summary."""
    return (
        patient.intakes.exclude(status=IntakeSubmission.Status.IN_PROGRESS)
        .order_by("-submitted_at")
        .first()
    )


def patients_needing_attention(*, user) -> QuerySet[Patient]:
    """Patients with an intake waiting for review or a red flag no therapist has cleared."""
    intakes = IntakeSubmission.objects.filter(patient=OuterRef("pk"))
    waiting = intakes.filter(status=IntakeSubmission.Status.SUBMITTED)
    flagged = (
        intakes.exclude(status=IntakeSubmission.Status.IN_PROGRESS)
        .exclude(red_flags=[])
        .filter(red_flags_cleared_at__isnull=True)
    )
    return (
        visible(user, Patient)
        .annotate(intake_waiting=Exists(waiting), red_flagged=Exists(flagged))
        .filter(Q(intake_waiting=True) | Q(red_flagged=True))
    )
