"""The patient's answer from a reminder's one-time link: confirm or cancel what it announced,
an appointment (a cancellation frees its slot) or a follow-up."""

import datetime as dt

from django.conf import settings
from django.utils import timezone

from clinic.permissions import unrestricted
from clinic.tokens import token_hash
from clinic.transactions import retrying_atomic
from patients.selectors import MAX_TOKEN_LENGTH

from .appointments import appointment_confirm, appointment_set_status
from .follow_ups import follow_up_set_status
from .models import Appointment, FollowUp, Reminder

PATIENT_LINK = "patient-link"


class ReplyLinkUsed(Exception):
    """The link was answered already, or what it announced is closed."""


def reply_link_expires_at(reminder: Reminder) -> dt.datetime:
    """A confirm/cancel link works until the appointment's time, and at most
    REPLY_LINK_VALID_DAYS after its message went out."""
    sent = reminder.sent_at or reminder.claimed_at or reminder.created_at
    return min(reminder.subject.due_at, sent + dt.timedelta(days=settings.REPLY_LINK_VALID_DAYS))


def reminder_for_reply(*, token: str) -> Reminder:
    """The reminder a patient's confirm/cancel link came in; Reminder.DoesNotExist for an
    unknown or expired link alike (the caller counts it as a guess, clinic.links)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise Reminder.DoesNotExist
    reminder = (
        Reminder.objects.select_related("patient__clinic", "appointment", "follow_up")
        .filter(unrestricted(Reminder), answer_token_hash=token_hash(token), offer__isnull=True)
        .first()
    )
    if reminder is None or reply_link_expires_at(reminder) <= timezone.now():
        raise Reminder.DoesNotExist
    return reminder


@retrying_atomic
def follow_up_reply(*, token: str, confirm: bool) -> Appointment | FollowUp:
    """Record the patient's answer; returns what it was about, as it now stands."""
    found = reminder_for_reply(token=token)
    reminder = Reminder.objects.select_for_update().get(pk=found.pk)
    if reminder.answered_at is not None or not found.subject.is_open:
        raise ReplyLinkUsed
    reminder.answered_at = timezone.now()
    reminder.save(update_fields=["answered_at", "updated_at"])
    subject = found.subject
    if isinstance(subject, Appointment):
        if confirm:
            return appointment_confirm(appointment=subject, actor_label=PATIENT_LINK)
        return appointment_set_status(
            appointment=subject,
            status=Appointment.Status.CANCELLED,
            actor_label=PATIENT_LINK,
            by_patient=True,
        )
    # The reply page's links are an appointment's or a follow-up's (reminder_for_reply).
    assert isinstance(subject, FollowUp)
    status = FollowUp.Status.CONFIRMED if confirm else FollowUp.Status.CANCELLED
    return follow_up_set_status(
        follow_up=subject, status=status, actor_label=PATIENT_LINK, by_patient=True
    )
