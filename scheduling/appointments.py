"""Writes to the appointment book. Every change to an appointment goes through here: its reminder
rows move with it (scheduling/reminders.py) and its audit row is written in the same transaction.

No double booking: the service looks for an overlapping appointment of the therapist (and of the
room) first, so every database gives the same clear answer; on PostgreSQL the exclusion
constraints (migration 0002) also refuse the one that slips between that look and the insert (two
clerks at once), and that refusal becomes the same answer, never a 500."""

import copy
import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from clinic.audit import audit_record
from clinic.models import AuditEvent
from clinic.permissions import access_for
from clinic.transactions import retrying_atomic
from clinic.types import User
from patients.models import Patient
from sessions.models import TreatmentSession
from sessions.selectors import open_draft
from sessions.services import session_start

from .follow_ups import follow_up_set_status, require_future, require_treating
from .hours import within_hours
from .models import Appointment, FollowUp, Room
from .reminders import policy_for, reminders_sync
from .waitlist import waitlist_offer_freed_slot

EXCLUSION_VIOLATION = "23P01"
MIN_MINUTES, MAX_MINUTES = 5, 480
S = Appointment.Status
# Where each status may go next; completed, cancelled and no-show are closed.
NEXT_STATUSES: dict[str, set[str]] = {
    S.BOOKED: {S.ARRIVED, S.IN_TREATMENT, S.CANCELLED, S.NO_SHOW},
    S.ARRIVED: {S.BOOKED, S.IN_TREATMENT, S.CANCELLED},
    S.IN_TREATMENT: {S.COMPLETED},
}


def _audit(
    appointment: Appointment, action: str, *, actor: User | None = None, actor_label: str = ""
) -> None:
    if actor is None and not actor_label:
        raise ValueError("A write to an appointment names who made it: actor or actor_label.")
    audit_record(
        action=action,
        actor=actor,
        actor_label=actor_label,
        obj=appointment,
        patient_id=appointment.patient_id,
        clinic_id=appointment.clinic_id,
    )


def _require_staff(actor: User, clinic_id: int) -> None:
    if clinic_id not in access_for(actor).clinic_ids:
        raise PermissionDenied("Only the clinic's staff write its book.")


def _time(moment: dt.datetime, zone) -> str:
    return formats.time_format(timezone.localtime(moment, zone), "H:i")


def _clash_message(other: Appointment, zone, *, room: bool) -> str:
    values = {"start": _time(other.starts_at, zone), "end": _time(other.ends_at, zone)}
    if room:
        return _("This room is already taken from %(start)s to %(end)s.") % values
    return _("The therapist is already booked from %(start)s to %(end)s.") % values


def _check_free(appointment: Appointment) -> None:
    """The same refusal on every database, before the constraint would give it."""
    zone = appointment.clinic.zone
    overlapping = (
        Appointment.objects.filter(
            status__in=Appointment.HOLDS_TIME,
            starts_at__lt=appointment.ends_at,
            ends_at__gt=appointment.starts_at,
        )
        .exclude(pk=appointment.pk)
        .order_by("starts_at")
    )
    clash = overlapping.filter(therapist_id=appointment.therapist_id).first()
    if clash is not None:
        raise ValidationError({"starts_at": [_clash_message(clash, zone, room=False)]})
    if appointment.room_id:
        clash = overlapping.filter(room_id=appointment.room_id).first()
        if clash is not None:
            raise ValidationError({"room": [_clash_message(clash, zone, room=True)]})


def _ends_at(starts_at: dt.datetime, minutes: int) -> dt.datetime:
    require_future(starts_at, field="starts_at")
    try:
        return starts_at + dt.timedelta(minutes=minutes)
    except OverflowError:  # the last minutes of year 9999
        raise ValidationError({"starts_at": [_("Choose a time before the year 9999.")]}) from None


def _check_slot(appointment: Appointment) -> None:
    """After _ends_at (which refuses the past): length, hours, room, overlap."""
    minutes = appointment.duration_minutes
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise ValidationError({"duration": [_("A duration is between 5 minutes and 8 hours.")]})
    if not within_hours(
        clinic=appointment.clinic,
        therapist_id=appointment.therapist_id,
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
    ):
        raise ValidationError(
            {
                "starts_at": [
                    _("The therapist does not work then: choose a time within their hours.")
                ]
            }
        )
    room = appointment.room
    if room is not None and room.clinic_id != appointment.clinic_id:
        raise ValidationError({"room": [_("Choose a room of the patient's clinic.")]})
    _check_free(appointment)


def _save(appointment: Appointment, **kwargs) -> None:
    """Save, turning the exclusion constraints' refusal into the service's own answer."""
    try:
        with transaction.atomic():
            appointment.save(**kwargs)
    except IntegrityError as error:
        cause = error.__cause__
        if getattr(cause, "pgcode", None) != EXCLUSION_VIOLATION:
            raise
        diag = getattr(cause, "diag", None)
        room = "room" in (getattr(diag, "constraint_name", "") or "")
        field = "room" if room else "starts_at"
        message = (
            _("This room was just taken by another booking: choose another time.")
            if room
            else _("This slot was just taken by another booking: choose another time.")
        )
        raise ValidationError({field: [message]}) from error


@retrying_atomic
def appointment_book(
    *,
    patient: Patient,
    therapist: User | None,
    starts_at: dt.datetime,
    duration_minutes: int,
    actor: User | None,
    actor_label: str = "",
    kind: str = Appointment.Kind.TREATMENT,
    room: Room | None = None,
    follow_up: FollowUp | None = None,
    note: str = "",
) -> Appointment:
    """Put a patient on the book. `follow_up` is the booking request it fulfils (planned in a
    note): it is done once the appointment is placed, and its reminders give way to the
    appointment's. A patient taking a waitlist offer books with `actor=None` and `actor_label`
    (scheduling/offers.py)."""
    if actor is not None:
        _require_staff(actor, patient.clinic_id)
    elif not actor_label:
        raise PermissionDenied("Only the clinic's staff write its book.")
    if therapist is None:
        raise ValidationError({"therapist": [_("Choose a therapist.")]})
    require_treating(therapist, patient)
    if patient.is_restricted:
        raise ValidationError({"patient": [_("This record is restricted by an erasure request.")]})
    appointment = Appointment(
        clinic=patient.clinic,
        patient=patient,
        therapist=therapist,
        room=room,
        kind=kind,
        starts_at=starts_at,
        ends_at=_ends_at(starts_at, duration_minutes),
        follow_up=follow_up,
        note=note,
        created_by=actor,
    )
    appointment.full_clean(exclude=["clinic", "patient", "therapist", "room", "follow_up"])
    _check_slot(appointment)
    _save(appointment)
    reminders_sync(subject=appointment)
    _audit(appointment, AuditEvent.Action.CREATE, actor=actor, actor_label=actor_label)
    if follow_up is not None and follow_up.is_open:
        follow_up_set_status(follow_up=follow_up, status=FollowUp.Status.DONE, actor=actor)
    return appointment


def _locked(appointment: Appointment) -> Appointment:
    return (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("clinic", "patient__clinic", "room")
        .get(pk=appointment.pk)
    )


@retrying_atomic
def appointment_move(
    *,
    appointment: Appointment,
    starts_at: dt.datetime,
    actor: User,
    duration_minutes: int | None = None,
    therapist: User | None = None,
    room: Room | None = None,
) -> Appointment:
    """A new time (and maybe therapist or room) for a booked appointment: its pending reminders
    move, reminders already sent are armed again for the new time, and the time it leaves goes
    to the waitlist as a cancellation's does."""
    appointment = _locked(appointment)
    _require_staff(actor, appointment.clinic_id)
    if appointment.status != S.BOOKED:
        raise ValidationError({"starts_at": [_("Only a booked appointment can be moved.")]})
    before = copy.copy(appointment)
    if therapist is not None and therapist.pk != appointment.therapist_id:
        require_treating(therapist, appointment.patient)
        appointment.therapist = therapist
    if room is not None:
        appointment.room = room
    minutes = duration_minutes or appointment.duration_minutes
    appointment.ends_at = _ends_at(starts_at, minutes)
    appointment.starts_at = starts_at
    _check_slot(appointment)
    _save(appointment)
    reminders_sync(subject=appointment, moved=True)
    _audit(appointment, AuditEvent.Action.UPDATE, actor=actor)
    waitlist_offer_freed_slot(appointment=before, kept=appointment, now=timezone.now())
    return appointment


def _refuse_transition(appointment: Appointment, status: str) -> ValidationError:
    return ValidationError(
        {
            "status": _("A %(current)s appointment cannot become %(new)s.")
            % {
                "current": appointment.get_status_display().lower(),
                "new": S(status).label.lower(),
            }
        }
    )


@retrying_atomic
def appointment_set_status(
    *,
    appointment: Appointment,
    status: str,
    actor: User | None = None,
    actor_label: str = "",
    reason: str = "",
    by_patient: bool = False,
) -> Appointment:
    """Arrived, in treatment, completed, no-show or cancelled (by the clinic, or by the patient
    from a reminder's link: `actor_label` and `by_patient`). A cancellation or no-show frees the
    slot and cancels what is still to send."""
    appointment = _locked(appointment)
    if actor is not None:
        _require_staff(actor, appointment.clinic_id)
    if status not in NEXT_STATUSES.get(appointment.status, ()):
        raise _refuse_transition(appointment, status)
    now = timezone.now()
    if status == S.NO_SHOW and appointment.starts_at > now:
        raise ValidationError({"status": _("A patient is a no-show only once the time has come.")})
    if status == S.CANCELLED:
        window = dt.timedelta(hours=policy_for(appointment.clinic).late_cancellation_hours)
        appointment.cancelled_at = now
        appointment.cancelled_by = actor
        appointment.cancelled_by_patient = by_patient
        appointment.cancel_reason = reason[:200]
        appointment.cancelled_late = appointment.starts_at - now < window
    appointment.status = status
    _save(appointment)
    reminders_sync(subject=appointment)
    _audit(appointment, AuditEvent.Action.UPDATE, actor=actor, actor_label=actor_label)
    if status == S.CANCELLED:
        # The freed time goes to the waitlist in the same transaction.
        waitlist_offer_freed_slot(appointment=appointment, now=now)
    return appointment


@retrying_atomic
def appointment_confirm(*, appointment: Appointment, actor_label: str) -> Appointment:
    """The patient confirmed from a reminder's link."""
    appointment = _locked(appointment)
    appointment.confirmed_at = timezone.now()
    appointment.save(update_fields=["confirmed_at", "updated_at"])
    _audit(appointment, AuditEvent.Action.UPDATE, actor_label=actor_label)
    return appointment


@retrying_atomic
def appointment_start_session(*, appointment: Appointment, actor: User) -> TreatmentSession:
    """The therapist starts the session from the appointment (or continues the draft they have
    open for the patient): the two are linked and the appointment is in treatment."""
    appointment = _locked(appointment)
    if appointment.session is not None:
        return appointment.session
    if appointment.status not in (S.BOOKED, S.ARRIVED):
        raise _refuse_transition(appointment, S.IN_TREATMENT)
    session = open_draft(patient=appointment.patient, therapist=actor)
    if session is None or hasattr(session, "appointment"):
        session = session_start(patient=appointment.patient, therapist=actor)
    appointment.session = session
    appointment.status = S.IN_TREATMENT
    _save(appointment)
    reminders_sync(subject=appointment)
    _audit(appointment, AuditEvent.Action.UPDATE, actor=actor)
    return session


def appointment_complete(*, session: TreatmentSession, actor: User) -> Appointment | None:
    """Signing the session's note completes the appointment it was started from (called by
    scheduling's session_signed receiver, inside the signature's transaction)."""
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .filter(session=session, status=S.IN_TREATMENT)
        .first()
    )
    if appointment is None:
        return None
    appointment.status = S.COMPLETED
    appointment.save(update_fields=["status", "updated_at"])
    _audit(appointment, AuditEvent.Action.UPDATE, actor=actor)
    return appointment
