"""Reads about treatment sessions. Callers pass a patient they got through a scoped selector."""

from django.db.models import ExpressionWrapper, F, FloatField, QuerySet

from patients.models import Patient

from .models import MobilityMeasurement


def mobility_trend(*, patient: Patient) -> QuerySet:
    """Every range-of-motion measurement of one patient, oldest first, in degrees and as a
    percentage of the movement's normal range (computed by the database)."""
    percent = ExpressionWrapper(
        100.0 * F("degrees") / F("movement__normal_degrees"), output_field=FloatField()
    )
    return (
        MobilityMeasurement.objects.filter(patient=patient)
        .order_by("measured_at", "id")
        .values(
            "measured_at",
            "side",
            "degrees",
            "session_id",
            movement_code=F("movement__code"),
            movement_name=F("movement__name"),
            joint=F("movement__joint"),
            normal_degrees=F("movement__normal_degrees"),
        )
        .annotate(percent_of_normal=percent)
    )
