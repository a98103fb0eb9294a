"""Celery tasks: thin, idempotent (plans/reminders.py)."""

from celery import shared_task

from scheduling.reminders import DATABASE_ERRORS

from . import reminders

RETRY = {"retry_backoff": 1, "retry_backoff_max": 8, "retry_jitter": True, "max_retries": 5}


@shared_task(name="plans.reassessments_remind", autoretry_for=DATABASE_ERRORS, **RETRY)
def reassessments_remind() -> dict:
    return reminders.reassessments_remind()
