"""Writes to follow-ups. Every change to a follow-up goes through here, so that its reminder rows
always move with it in the same transaction (scheduling/reminders.py), and its audit row too: each
function takes who acts, a staff user (`actor`) or, for the patient's reply link, a label."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.audit import audit_record
from clinic.models import CLINICAL_ROLES, AuditEvent, Membership
from clinic.transactions import retrying_atomic
from clinic.types import User
from patients.models import Patient
from sessions.models import TreatmentSession

from .models import FollowUp
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


def require_treating(therapist: User | None, patient: Patient) -> None:
    """A follow-up's therapist is clinical staff of the patient's clinic (a therapist, or a
    manager who treats): never front desk, never someone of another clinic."""
    if therapist is None:
        return
    treats = Membership.objects.filter(
        user=therapist, clinic_id=patient.clinic_id, role__in=CLINICAL_ROLES, is_active=True
    ).exists()
    if not treats:
        raise ValidationError({"therapist": [_("Choose a therapist of the patient's clinic.")]})


def require_future(moment: dt.datetime, *, field: str) -> None:
    """Booking or moving into the past would be accepted and never happen: refused."""
    if moment <= timezone.now():
        raise ValidationError({field: [_("Choose a time in the future.")]})


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
    require_treating(therapist, patient)
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
    reminders_sync(subject=follow_up)
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
    require_future(due_at, field="due_at")
    follow_up.due_at = due_at
    follow_up.full_clean()
    follow_up.save(update_fields=["due_at", "updated_at"])
    reminders_sync(subject=follow_up, moved=True)
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
    reminders_sync(subject=follow_up)
    _audit(follow_up, actor=actor, actor_label=actor_label)
    return follow_up


def follow_up_cancel(*, follow_up: FollowUp, actor: User) -> FollowUp:
    return follow_up_set_status(follow_up=follow_up, status=FollowUp.Status.CANCELLED, actor=actor)
