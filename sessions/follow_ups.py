"""Writes to follow-ups. Every change to a follow-up goes through here, so that its reminder rows
always move with it in the same transaction (see the reminders issue)."""

import datetime as dt

from django.db import transaction

from patients.models import Patient

from .models import FollowUp, TreatmentSession


@transaction.atomic
def follow_up_create(
    *,
    patient: Patient,
    due_at: dt.datetime,
    kind: str = FollowUp.Kind.APPOINTMENT,
    created_by,
    session: TreatmentSession | None = None,
    therapist=None,
    note: str = "",
) -> FollowUp:
    follow_up = FollowUp(
        patient=patient,
        due_at=due_at,
        kind=kind,
        session=session,
        therapist=therapist,
        note=note,
        created_by=created_by,
    )
    follow_up.full_clean()
    follow_up.save()
    return follow_up
