"""Celery tasks of the sessions app: thin, each calls a service."""

from celery import shared_task

from clinic.models import Clinic

from . import forecasts


@shared_task(name="treatments.release_forecasts_refresh")
def release_forecasts_refresh(clinic_id: int | None = None) -> dict:
    """Rebuild the sessions-to-release forecasts of one clinic, or of every clinic (the nightly
    schedule). Idempotent: each run replaces the clinic's rows with what its history says now."""
    clinic_ids = (
        [clinic_id] if clinic_id is not None else list(Clinic.objects.values_list("pk", flat=True))
    )
    return {str(pk): forecasts.release_forecasts_refresh(clinic_id=pk) for pk in clinic_ids}
