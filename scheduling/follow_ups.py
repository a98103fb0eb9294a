"""Writes to follow-ups. Every change to a follow-up goes through here, so that its reminder rows
always move with it in the same transaction (scheduling/reminders.py), and its audit row too: each
function takes who acts, a staff user (`actor`) or, for the patient's reply link, a label."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.audit import audit_record
from clinic.models import CLINICAL_ROLES, AuditEvent, Membership
from clinic.permissions import unrestricted
from clinic.tokens import token_hash
from clinic.transactions import retrying_atomic
from clinic.types import User
from patients.models import Patient
from patients.selectors import MAX_TOKEN_LENGTH
from sessions.models import TreatmentSession

from .models import FollowUp, Reminder
from .reminders import policy_for, reminders_sync

# Where each status may go next; a cancelled, done or missed follow-up is closed.
NEXT_STATUSES: dict[str, set[str]] = {
    FollowUp.Status.PLANNED: {
        FollowUp.Status.CONFIRMED,
        FollowUp.Status.DONE,
        FollowUp.Status.MISSED,
        FollowUp.Status.CANCELLED,
    },
    FollowUp.Status.CONFIRMED: {
        FollowUp.Status.PLANNED,
        FollowUp.Status.DONE,
        FollowUp.Status.MISSED,
        FollowUp.Status.CANCELLED,
    },
}


def _require_treating(therapist: User | None, patient: Patient) -> None:
    """A follow-up's therapist is clinical staff of the patient's clinic (a therapist, or a
    manager who treats): never front desk, never someone of another clinic."""
    if therapist is None:
        return
    treats = Membership.objects.filter(
        user=therapist, clinic_id=patient.clinic_id, role__in=CLINICAL_ROLES, is_active=True
    ).exists()
    if not treats:
        raise ValidationError({"therapist": [_("Choose a therapist of the patient's clinic.")]})


def _audit(follow_up: FollowUp, *, actor: User | None = None, actor_label: str = "") -> None:
    if actor is None and not actor_label:
        raise ValueError("A write to a follow-up names who made it: actor or actor_label.")
    audit_record(
        action=AuditEvent.Action.UPDATE,
        actor=actor,
        actor_label=actor_label,
        obj=follow_up,
        patient=follow_up.patient,
    )


@retrying_atomic
def follow_up_create(
    *,
    patient: Patient,
    due_at: dt.datetime,
    kind: str = FollowUp.Kind.APPOINTMENT,
    created_by: User,
    session: TreatmentSession | None = None,
    therapist: User | None = None,
    note: str = "",
) -> FollowUp:
    _require_treating(therapist, patient)
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
    reminders_sync(follow_up=follow_up)
    audit_record(action=AuditEvent.Action.CREATE, actor=created_by, obj=follow_up, patient=patient)
    return follow_up


def follow_up_plan_check_in(*, session: TreatmentSession, created_by: User) -> FollowUp:
    """The post-session check-in, due the clinic's policy hours after the session ends (relief
    shows hours later, so the answer then is the honest one)."""
    policy = policy_for(session.patient.clinic)
    ends = session.started_at + dt.timedelta(minutes=session.duration_minutes)
    return follow_up_create(
        patient=session.patient,
        due_at=ends + dt.timedelta(hours=policy.check_in_after_hours),
        kind=FollowUp.Kind.CHECK_IN,
        session=session,
        therapist=session.therapist,
        created_by=created_by,
    )


def _locked(follow_up: FollowUp) -> FollowUp:
    return (
        FollowUp.objects.select_for_update().select_related("patient__clinic").get(pk=follow_up.pk)
    )


@retrying_atomic
def follow_up_move(*, follow_up: FollowUp, due_at: dt.datetime, actor: User) -> FollowUp:
    """A new time: pending reminders move, reminders already sent are armed again for it."""
    follow_up = _locked(follow_up)
    if not follow_up.is_open:
        raise ValidationError({"due_at": _("A closed follow-up cannot be moved.")})
    follow_up.due_at = due_at
    follow_up.full_clean()
    follow_up.save(update_fields=["due_at", "updated_at"])
    reminders_sync(follow_up=follow_up, moved=True)
    _audit(follow_up, actor=actor)
    return follow_up


@retrying_atomic
def follow_up_set_status(
    *,
    follow_up: FollowUp,
    status: str,
    actor: User | None = None,
    actor_label: str = "",
    by_patient: bool = False,
) -> FollowUp:
    """Confirm, re-plan, close (done, missed) or cancel; closing cancels what is still to send.
    `actor` is the staff user; the patient's own answer has `actor_label` and `by_patient`."""
    follow_up = _locked(follow_up)
    if status != follow_up.status and status not in NEXT_STATUSES.get(follow_up.status, ()):
        raise ValidationError(
            {
                "status": _("A %(current)s follow-up cannot become %(new)s.")
                % {
                    "current": follow_up.get_status_display().lower(),
                    "new": FollowUp.Status(status).label.lower(),
                }
            }
        )
    follow_up.status = status
    if by_patient:
        follow_up.answered_by_patient_at = timezone.now()
    follow_up.save(update_fields=["status", "answered_by_patient_at", "updated_at"])
    reminders_sync(follow_up=follow_up)
    _audit(follow_up, actor=actor, actor_label=actor_label)
    return follow_up


def follow_up_cancel(*, follow_up: FollowUp, actor: User) -> FollowUp:
    return follow_up_set_status(follow_up=follow_up, status=FollowUp.Status.CANCELLED, actor=actor)


class ReplyLinkUsed(Exception):
    """The link was answered already, or belongs to a follow-up that is closed."""


def reply_link_expires_at(reminder: Reminder) -> dt.datetime:
    """A confirm/cancel link works until the appointment's time, and at most
    REPLY_LINK_VALID_DAYS after its message went out."""
    sent = reminder.sent_at or reminder.claimed_at or reminder.created_at
    return min(reminder.follow_up.due_at, sent + dt.timedelta(days=settings.REPLY_LINK_VALID_DAYS))


def reminder_for_reply(*, token: str) -> Reminder:
    """The appointment reminder a patient's confirm/cancel link came in; Reminder.DoesNotExist
    for an unknown or expired link alike (the caller counts it as a guess, clinic.links)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise Reminder.DoesNotExist
    reminder = (
        Reminder.objects.select_related("follow_up__patient__clinic")
        .filter(unrestricted(Reminder), answer_token_hash=token_hash(token))
        .first()
    )
    if reminder is None or reply_link_expires_at(reminder) <= timezone.now():
        raise Reminder.DoesNotExist
    return reminder


@retrying_atomic
def follow_up_reply(*, token: str, confirm: bool) -> FollowUp:
    """The patient's answer from a reminder's one-time link: confirm or cancel the appointment."""
    found = reminder_for_reply(token=token)
    reminder = Reminder.objects.select_for_update().get(pk=found.pk)
    if reminder.answered_at is not None or not found.follow_up.is_open:
        raise ReplyLinkUsed
    reminder.answered_at = timezone.now()
    reminder.save(update_fields=["answered_at", "updated_at"])
    status = FollowUp.Status.CONFIRMED if confirm else FollowUp.Status.CANCELLED
    return follow_up_set_status(
        follow_up=found.follow_up, status=status, actor_label="patient-link", by_patient=True
    )
