"""Celery tasks: thin. Each loads by id and calls a service (sessions/reminders.py,
sessions/erasure.py)."""

from celery import shared_task

from . import erasure, reminders


@shared_task(name="treatments.reminders_sweep")
def reminders_sweep() -> dict:
    return reminders.reminders_sweep()


@shared_task(name="treatments.reminders_send")
def reminders_send(reminder_ids: list[int], lease: str) -> dict:
    return dict(reminders.reminders_send(reminder_ids=reminder_ids, lease=lease))


@shared_task(name="treatments.patients_erase_due")
def patients_erase_due() -> int:
    return erasure.patients_erase_due()
