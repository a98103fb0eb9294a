"""The appointment book's writes: booking, the refusals (double booking, the past, outside the
therapist's hours), moving, statuses, the patient's cancellation from a reminder's link, and the
session started from an appointment. These run on SQLite too (the service's own checks); what
only PostgreSQL proves (its exclusion constraints) is in test_appointment_constraints.py."""

import datetime as dt
import zoneinfo

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from clinic.tokens import token_hash
from scheduling.appointments import (
    appointment_book,
    appointment_move,
    appointment_set_status,
    appointment_start_session,
)
from scheduling.follow_ups import follow_up_create, follow_up_move
from scheduling.hours import free_slots
from scheduling.models import Appointment, FollowUp, Reminder, Room, WorkingHours
from scheduling.models import WorkingHoursException as Exception_
from scheduling.reminders import policy_for, reminder_send, reminders_claim_due
from scheduling.replies import follow_up_reply
from sessions.services import session_sign, session_update

pytestmark = pytest.mark.django_db

S = Appointment.Status
PAIN = [{"source": "pre_session", "region": "neck_back", "side": "right", "score": 6}]


ZONE = zoneinfo.ZoneInfo("America/Toronto")  # the factories' clinic's


def _at(days: int, hour: int, minute: int = 0) -> dt.datetime:
    """A time in the clinic's zone, `days` from the clinic's today."""
    day = timezone.localdate(timezone.now(), ZONE) + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZONE)


def _book(patient, therapist, actor, starts_at, minutes=45, **more):
    return appointment_book(
        patient=patient,
        therapist=therapist,
        starts_at=starts_at,
        duration_minutes=minutes,
        actor=actor,
        **more,
    )


@pytest.fixture
def reachable(patient):
    patient.email, patient.consents_to_email = "pat@example.com", True
    patient.save()
    return patient


@pytest.mark.smoke
def test_a_second_booking_of_a_taken_slot_is_refused_with_a_clear_message(
    patient, therapist, front_desk
):
    first = _book(patient, therapist, front_desk, _at(3, 10))
    assert (first.status, first.duration_minutes) == (S.BOOKED, 45)
    with pytest.raises(ValidationError) as refused:
        _book(patient, therapist, front_desk, _at(3, 10, 30))
    assert refused.value.message_dict["starts_at"] == [
        "The therapist is already booked from 10:00 to 10:45."
    ]
    # Back to back is not an overlap: the range is half-open.
    assert _book(patient, therapist, front_desk, _at(3, 10, 45)).pk


def test_a_room_holds_one_appointment_at_a_time(clinic_a, patient, therapist, manager, front_desk):
    room = Room.objects.create(clinic=clinic_a, name="Room 1")
    _book(patient, therapist, front_desk, _at(3, 10), room=room)
    with pytest.raises(ValidationError) as refused:
        _book(patient, manager, front_desk, _at(3, 10, 15), room=room)
    assert list(refused.value.message_dict) == ["room"]
    assert _book(patient, manager, front_desk, _at(3, 10, 15)).room is None


def test_the_past_is_refused_for_booking_and_moving(patient, therapist, front_desk):
    with pytest.raises(ValidationError) as refused:
        _book(patient, therapist, front_desk, timezone.now() - dt.timedelta(minutes=5))
    assert refused.value.message_dict["starts_at"] == ["Choose a time in the future."]
    booked = _book(patient, therapist, front_desk, _at(2, 9))
    with pytest.raises(ValidationError):
        appointment_move(appointment=booked, starts_at=_at(-1, 9), actor=front_desk)
    assert Appointment.objects.get(pk=booked.pk).starts_at == _at(2, 9)


def test_a_follow_up_cannot_be_moved_into_the_past_any_more(patient, front_desk):
    follow_up = follow_up_create(patient=patient, due_at=_at(2, 9), created_by=front_desk)
    with pytest.raises(ValidationError) as refused:
        follow_up_move(follow_up=follow_up, due_at=_at(-2, 9), actor=front_desk)
    assert "due_at" in refused.value.message_dict
    follow_up.refresh_from_db()
    assert (follow_up.due_at, follow_up.status) == (_at(2, 9), FollowUp.Status.PLANNED)


def test_booking_outside_the_therapists_hours_is_refused(clinic_a, patient, therapist, front_desk):
    day = _at(7, 9)
    WorkingHours.objects.create(
        clinic=clinic_a, therapist=therapist, weekday=day.weekday(), starts="09:00", ends="13:00"
    )
    with pytest.raises(ValidationError) as refused:
        _book(patient, therapist, front_desk, _at(7, 12, 30))  # would end at 13:15
    assert "does not work then" in refused.value.message_dict["starts_at"][0]
    assert _book(patient, therapist, front_desk, _at(7, 12, 15)).pk
    # On leave that day: nothing is open.
    Exception_.objects.create(
        clinic=clinic_a, therapist=therapist, first_day=day.date(), last_day=day.date()
    )
    with pytest.raises(ValidationError):
        _book(patient, therapist, front_desk, _at(7, 9))


def test_next_free_slots_skip_booked_times_and_respect_hours(
    clinic_a, patient, therapist, front_desk
):
    day = _at(7, 9)
    WorkingHours.objects.create(
        clinic=clinic_a, therapist=therapist, weekday=day.weekday(), starts="09:00", ends="11:00"
    )
    _book(patient, therapist, front_desk, _at(7, 9, 30), minutes=60)
    slots = free_slots(
        clinic=clinic_a,
        therapist_id=therapist.pk,
        duration_minutes=30,
        after=_at(6, 0),
        count=3,
        days=3,
    )
    assert slots == [_at(7, 9), _at(7, 10, 30)]


def test_moving_moves_the_reminders_and_frees_the_old_slot(reachable, therapist, front_desk):
    booked = _book(reachable, therapist, front_desk, _at(4, 10))
    early = booked.reminders.get(kind=Reminder.Kind.BEFORE_48H)
    assert early.send_at == _at(4, 10) - dt.timedelta(hours=48)
    moved = appointment_move(appointment=booked, starts_at=_at(5, 11), actor=front_desk)
    early.refresh_from_db()
    assert (moved.ends_at, early.send_at) == (_at(5, 11, 45), _at(5, 11) - dt.timedelta(hours=48))
    assert _book(reachable, therapist, front_desk, _at(4, 10)).pk


def test_a_cancellation_frees_the_slot_and_a_late_one_is_marked_late(
    patient, therapist, front_desk
):
    soon = _book(patient, therapist, front_desk, timezone.now() + dt.timedelta(hours=3))
    cancelled = appointment_set_status(
        appointment=soon, status=S.CANCELLED, actor=front_desk, reason="Car broke down"
    )
    assert (cancelled.cancelled_late, cancelled.cancelled_by, cancelled.cancel_reason) == (
        True,
        front_desk,
        "Car broke down",
    )
    later = _book(patient, therapist, front_desk, soon.starts_at)  # the slot is free again
    assert not appointment_set_status(
        appointment=_book(patient, therapist, front_desk, _at(6, 10)),
        status=S.CANCELLED,
        actor=front_desk,
    ).cancelled_late
    assert later.status == S.BOOKED


def test_a_no_show_is_marked_only_once_the_time_has_come(patient, therapist, front_desk):
    booked = _book(patient, therapist, front_desk, _at(1, 10))
    with pytest.raises(ValidationError):
        appointment_set_status(appointment=booked, status=S.NO_SHOW, actor=front_desk)
    Appointment.objects.filter(pk=booked.pk).update(
        starts_at=timezone.now() - dt.timedelta(minutes=20),
        ends_at=timezone.now() + dt.timedelta(minutes=25),
    )
    assert (
        appointment_set_status(appointment=booked, status=S.NO_SHOW, actor=front_desk).status
        == S.NO_SHOW
    )
    with pytest.raises(ValidationError):  # closed
        appointment_set_status(appointment=booked, status=S.ARRIVED, actor=front_desk)


def test_the_patients_cancellation_from_the_reminder_link_frees_the_slot(
    reachable, therapist, front_desk
):
    booked = _book(reachable, therapist, front_desk, _at(3, 15))
    reminder = booked.reminders.first()
    Reminder.objects.filter(pk=reminder.pk).update(answer_token_hash=token_hash("raw-link"))
    answered = follow_up_reply(token="raw-link", confirm=False)
    assert (answered.pk, answered.status, answered.cancelled_by_patient) == (
        booked.pk,
        S.CANCELLED,
        True,
    )
    assert not booked.reminders.filter(status=Reminder.Status.PENDING).exists()
    assert _book(reachable, therapist, front_desk, _at(3, 15)).pk


def test_a_session_started_from_the_appointment_completes_it_when_signed(
    patient, therapist, front_desk
):
    booked = _book(patient, therapist, front_desk, _at(1, 9))
    appointment_set_status(appointment=booked, status=S.ARRIVED, actor=front_desk)
    session = appointment_start_session(appointment=booked, actor=therapist)
    booked.refresh_from_db()
    assert (booked.session, booked.status) == (session, S.IN_TREATMENT)
    assert appointment_start_session(appointment=booked, actor=therapist) == session  # again
    # The clinic's minimum for signing: a SOAP field and the pain before.
    session_update(session=session, user=therapist, fields={"subjective": "Neck stiff"}, pain=PAIN)
    session_sign(session=session, user=therapist)
    booked.refresh_from_db()
    assert booked.status == S.COMPLETED


def test_placing_a_booking_request_closes_it_and_its_reminders(reachable, therapist, front_desk):
    request = follow_up_create(
        patient=reachable, due_at=_at(5, 10), therapist=therapist, created_by=therapist
    )
    assert request.reminders.filter(status=Reminder.Status.PENDING).exists()
    placed = _book(reachable, therapist, front_desk, _at(5, 11), follow_up=request)
    request.refresh_from_db()
    assert (placed.follow_up, request.status) == (request, FollowUp.Status.DONE)
    assert not request.reminders.filter(status=Reminder.Status.PENDING).exists()
    assert placed.reminders.filter(status=Reminder.Status.PENDING).count() == 2


def test_only_the_clinics_staff_book_and_only_its_therapists_are_booked(
    patient, therapist, front_desk, stranger
):
    with pytest.raises(PermissionDenied):
        _book(patient, therapist, stranger, _at(3, 10))
    with pytest.raises(ValidationError) as refused:
        _book(patient, front_desk, front_desk, _at(3, 10))
    assert "therapist" in refused.value.message_dict


def test_an_appointment_reminder_is_sent_with_its_time_and_link(reachable, therapist, front_desk):
    policy = policy_for(reachable.clinic)
    # No quiet hours, so the send does not depend on the hour the suite runs at.
    policy.quiet_hours_start = policy.quiet_hours_end = dt.time(0)
    policy.save()
    booked = _book(reachable, therapist, front_desk, _at(1, 14))
    Reminder.objects.filter(appointment=booked).update(send_at=timezone.now())
    reminders_claim_due()
    row = Reminder.objects.get(appointment=booked, kind=Reminder.Kind.BEFORE_2H)
    assert reminder_send(reminder_id=row.pk, lease=str(row.lease)) == "sent"
    assert "/follow-ups/reply/" in mail.outbox[-1].body
