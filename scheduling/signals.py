"""Scheduling's answers to what the treatment record (sessions/signals.py) and the patient record
(patients/signals.py) announce."""

from django.dispatch import receiver

from clinic.types import User
from patients.models import Patient
from patients.signals import patient_merged
from sessions.models import TreatmentSession
from sessions.signals import session_signed

from .appointments import appointment_complete
from .follow_ups import follow_up_plan_check_in
from .waitlist import waitlist_after_merge


@receiver(session_signed, sender=TreatmentSession, dispatch_uid="scheduling.book_check_in")
def book_check_in(sender, *, session: TreatmentSession, actor: User, **kwargs) -> None:
    """The honest measure of a session comes a day later: its check-in is booked with the
    signature, in the same transaction, whoever signs (page, API)."""
    follow_up_plan_check_in(session=session, created_by=actor)


@receiver(session_signed, sender=TreatmentSession, dispatch_uid="scheduling.complete_appointment")
def complete_appointment(sender, *, session: TreatmentSession, actor, **kwargs) -> None:
    """Signing the note of a session started from an appointment completes the appointment."""
    appointment_complete(session=session, actor=actor)


@receiver(patient_merged, sender=Patient, dispatch_uid="scheduling.waitlist_after_merge")
def waitlist_merged(sender, *, survivor: Patient, **kwargs) -> None:
    """A merged record waits once on the waitlist: its first request keeps its place."""
    waitlist_after_merge(survivor=survivor)
