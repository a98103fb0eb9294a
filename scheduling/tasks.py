"""Celery tasks: thin. Each loads by id and calls a service (scheduling/reminders.py,
scheduling/erasure.py). Their names keep the `treatments.` prefix: queued messages carry it."""

import datetime as dt

from celery import shared_task
from kombu.exceptions import OperationalError as BrokerError

from . import erasure, reminders, waitlist

# A dropped database connection (or a broker that is briefly gone, for the sweep's hand-over) is
# retried with backoff: 1, 2, 4, 8 s with jitter. Both tasks are idempotent: a sweep claims only
# pending rows, and a send acts only on the rows it still holds, asking the provider before it
# sends a row again. Celery closes the broken connection before the retry runs.
RETRY = {"retry_backoff": 1, "retry_backoff_max": 8, "retry_jitter": True, "max_retries": 5}


@shared_task(
    name="treatments.reminders_sweep",
    autoretry_for=(*reminders.DATABASE_ERRORS, BrokerError),
    **RETRY,
)
def reminders_sweep(lost_before: str | None = None) -> dict:
    """`lost_before` (ISO 8601): a worker (re)connected to the broker at that moment, so a row
    handed to the broker before it and never started may have been lost with it."""
    since = dt.datetime.fromisoformat(lost_before) if lost_before else None
    return reminders.reminders_sweep(lost_before=since)


# acks_late with reject_on_worker_lost: a task whose pool process died is delivered again at
# once (its rows still carry its lease) instead of waiting for the rows' lease to run out.
@shared_task(
    name="treatments.reminders_send",
    autoretry_for=reminders.DATABASE_ERRORS,
    acks_late=True,
    reject_on_worker_lost=True,
    **RETRY,
)
def reminders_send(reminder_ids: list[int], lease: str) -> dict:
    return dict(reminders.reminders_send(reminder_ids=reminder_ids, lease=lease))


@shared_task(name="treatments.patients_erase_due")
def patients_erase_due() -> int:
    return erasure.patients_erase_due()


@shared_task(
    name="scheduling.waitlist_offers_expire", autoretry_for=reminders.DATABASE_ERRORS, **RETRY
)
def waitlist_offers_expire() -> int:
    return waitlist.waitlist_offers_expire()
