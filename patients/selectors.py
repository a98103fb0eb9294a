"""Reads about patients. Every function takes the user and goes through `visible`."""

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from clinic.permissions import visible

from .models import IntakeSubmission, Patient


def patient_list(*, user, search: str = "") -> QuerySet[Patient]:
    patients = visible(user, Patient).select_related("clinic")
    for term in search.split():
        patients = patients.filter(
            Q(first_name__icontains=term)
            | Q(last_name__icontains=term)
            | Q(phone__icontains=term)
            | Q(email__icontains=term)
        )
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
