"""Scheduling's answers to what the treatment record announces (sessions/signals.py)."""

from django.dispatch import receiver

from clinic.types import User
from sessions.models import TreatmentSession
from sessions.signals import session_signed

from .appointments import appointment_complete
from .follow_ups import follow_up_plan_check_in


@receiver(session_signed, sender=TreatmentSession, dispatch_uid="scheduling.book_check_in")
def book_check_in(sender, *, session: TreatmentSession, actor: User, **kwargs) -> None:
    """The honest measure of a session comes a day later: its check-in is booked with the
    signature, in the same transaction, whoever signs (page, API)."""
    follow_up_plan_check_in(session=session, created_by=actor)


@receiver(session_signed, sender=TreatmentSession, dispatch_uid="scheduling.complete_appointment")
def complete_appointment(sender, *, session: TreatmentSession, actor, **kwargs) -> None:
    """Signing the note of a session started from an appointment completes the appointment."""
    appointment_complete(session=session, actor=actor)
