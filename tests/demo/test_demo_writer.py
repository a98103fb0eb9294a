"""The demo writer's one bulk path writes what the services would: the reminder rows booking an
appointment or a follow-up makes (per the clinic's reminder policy), the reports' derived rows,
and the times the plan gives; and the demo clinic's reminders go out when they are due."""

import datetime as dt
from collections import defaultdict

import pytest
from django.core import mail
from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone

from demo import writer
from patients.models import PainCourse, Patient, PsfsCourse
from scheduling import reminders
from scheduling.appointments import appointment_book
from scheduling.follow_ups import follow_up_create
from scheduling.models import Appointment, FollowUp, Reminder
from sessions.models import (
    MobilityCourse,
    SessionPain,
    TreatmentSession,
    TriggerPoint,
    TriggerPointVisit,
)
from sessions.summaries import summaries_refresh

pytestmark = pytest.mark.django_db

Status = Reminder.Status
# Every column of a reminder but its id, what it announces and when the row was made.
REMINDER_COLUMNS = [
    f.attname
    for f in Reminder._meta.concrete_fields
    if f.attname
    not in (
        "id",
        "patient_id",
        "appointment_id",
        "follow_up_id",
        "offer_id",
        "created_at",
        "updated_at",
    )
]
FOLLOW_UP_COLUMNS = [
    "patient_id",
    "session_id",
    "therapist_id",
    "kind",
    "status",
    "due_at",
    "note",
    "answered_by_patient_at",
    "created_by_id",
]


APPOINTMENT_COLUMNS = [
    "clinic_id",
    "patient_id",
    "therapist_id",
    "room_id",
    "kind",
    "status",
    "starts_at",
    "ends_at",
    "note",
    "follow_up_id",
    "created_by_id",
]


def _reminder_rows(subject) -> set[tuple]:
    return set(subject.reminders.values_list(*REMINDER_COLUMNS))


def test_a_demo_follow_up_has_the_reminder_rows_booking_it_through_the_service_makes():
    writer.seed(seed=7, patients=24)
    now = timezone.now()
    demo_follow_ups = list(FollowUp.objects.select_related("patient__clinic").order_by("pk"))
    assert Reminder.objects.filter(follow_up__in=demo_follow_ups).count() > len(demo_follow_ups)

    compared = 0
    for demo in demo_follow_ups:
        # The same history through the service: the same follow-up, booked by the same person.
        booked = follow_up_create(
            patient=demo.patient,
            due_at=demo.due_at,
            kind=demo.kind,
            created_by=demo.created_by,
            session=demo.session,
            therapist=demo.therapist,
            note=demo.note,
        )
        assert FollowUp.objects.filter(pk=booked.pk).values_list(*FOLLOW_UP_COLUMNS).get() == (
            FollowUp.objects.filter(pk=demo.pk).values_list(*FOLLOW_UP_COLUMNS).get()
        )
        # The demo booked it when the last note was signed, the service now: a reminder whose
        # moment came in between was planned then (still pending: nothing ran) and is too late
        # now. Everything else is the same row, column for column.
        came_due = {r for r in _reminder_rows(demo) if demo.created_at < r[2] <= now}
        assert _reminder_rows(demo) - came_due == _reminder_rows(booked)
        assert {r[1] for r in came_due} <= set(reminders.BEFORE_KINDS)
        assert all(r[3] == Status.PENDING for r in came_due)
        compared += not came_due
    assert compared > len(demo_follow_ups) / 2
    # Rows are stamped when the follow-up was booked, as the service stamps them.
    stamped = Reminder.objects.filter(follow_up__in=demo_follow_ups)
    assert not stamped.exclude(created_at=F("follow_up__created_at")).exists()
    assert not stamped.exclude(updated_at=F("follow_up__created_at")).exists()


def test_a_demo_appointment_has_the_reminder_rows_booking_it_through_the_service_makes():
    """The next visits the demo put on the book are the ones appointment_book makes: within the
    therapist's hours, free, with the same reminder rows (booked again after freeing the slot)."""
    writer.seed(seed=7, patients=24)
    now = timezone.now()
    demo_booked = list(
        Appointment.objects.filter(status="booked").select_related("patient__clinic")
    )
    assert demo_booked
    compared = 0
    for demo in demo_booked:
        rows = _reminder_rows(demo)
        demo_columns = Appointment.objects.filter(pk=demo.pk).values_list(*APPOINTMENT_COLUMNS)
        expected = demo_columns.get()
        Reminder.objects.filter(appointment=demo).delete()
        Appointment.objects.filter(pk=demo.pk).update(status="cancelled", cancelled_at=now)
        booked = appointment_book(
            patient=demo.patient,
            therapist=demo.therapist,
            starts_at=demo.starts_at,
            duration_minutes=demo.duration_minutes,
            kind=demo.kind,
            note=demo.note,
            actor=demo.created_by,
        )
        assert (
            Appointment.objects.filter(pk=booked.pk).values_list(*APPOINTMENT_COLUMNS).get()
            == expected
        )
        came_due = {r for r in rows if demo.created_at < r[2] <= now}
        assert rows - came_due == _reminder_rows(booked)
        compared += not came_due
    assert compared > len(demo_booked) / 2


def test_demo_patients_without_consent_or_address_get_no_reminders():
    writer.seed(seed=7, patients=24)
    silent = Patient.objects.filter(consents_to_email=False, consents_to_sms=False)
    assert silent.exists()
    assert Appointment.objects.filter(patient__in=silent, status="booked").exists()
    assert not Reminder.objects.filter(patient__in=silent).exists()
    assert not Reminder.objects.filter(channel="sms", patient__consents_to_sms=False).exists()
    assert not Reminder.objects.filter(channel="email", patient__consents_to_email=False).exists()


def _report_rows() -> dict[str, set[tuple]]:
    return {
        model.__name__: set(
            model.objects.values_list(
                *(f.attname for f in model._meta.concrete_fields if f.attname != "id")
            )
        )
        for model in (PainCourse, SessionPain, TriggerPointVisit, PsfsCourse, MobilityCourse)
    }


def test_the_demo_reports_rows_are_the_ones_the_services_rebuild_patient_by_patient():
    writer.seed(seed=7, patients=12)
    seeded = _report_rows()
    assert all(seeded.values())

    # What a service does after writing one patient's scores, points or session time.
    with transaction.atomic():
        for patient_id in FollowUp.objects.values_list("patient_id", flat=True):
            summaries_refresh(patient_ids=[patient_id])

    assert _report_rows() == seeded


def test_due_demo_reminders_are_claimed_by_the_sweep_and_sent(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND, settings.SMS_FILE_DIR = "file", str(tmp_path)
    writer.seed(seed=7, patients=24)
    for policy in reminders.ReminderPolicy.objects.all():
        # No quiet hours, so the send does not depend on the hour the suite runs at.
        policy.quiet_hours_start = policy.quiet_hours_end = dt.time(0, 0)
        policy.save()
    # The sweep's moment: now, or the first demo reminder's if none is due yet.
    first = Reminder.objects.order_by("send_at").values_list("send_at", flat=True)[0]
    moment = max(timezone.now(), first)
    due = set(
        Reminder.objects.filter(status=Status.PENDING, send_at__lte=moment).values_list(
            "pk", flat=True
        )
    )
    assert due

    with django_capture_on_commit_callbacks(execute=False) as handed_over:
        outcome = reminders.reminders_sweep(now=moment)

    assert outcome == {"claimed": len(due), "reclaimed": 0} and handed_over
    chunks = defaultdict(list)  # what each task would carry to a worker
    for pk, lease in Reminder.objects.filter(status=Status.SENDING).values_list("pk", "lease"):
        chunks[str(lease)].append(pk)
    assert {pk for ids in chunks.values() for pk in ids} == due
    for lease, ids in chunks.items():
        assert reminders.reminders_send(reminder_ids=ids, lease=lease) == {"sent": len(ids)}

    sent = Reminder.objects.filter(pk__in=due)
    assert set(sent.values_list("status", flat=True)) == {Status.SENT}
    emails = sent.filter(channel="email").select_related("patient")
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.patient.email for r in emails)
    assert len(list(tmp_path.glob("reminder-*.json"))) == sent.filter(channel="sms").count()


@pytest.mark.postgres
def test_the_database_lock_on_signed_notes_is_back_on_after_the_seed():
    writer.seed(seed=7, patients=3)
    point = TriggerPoint.objects.filter(session__status="signed").first()
    for rows, change in (
        (TriggerPoint.objects.filter(pk=point.pk), {"tenderness": 1}),
        (TreatmentSession.objects.filter(pk=point.session_id), {"plan": "Rewritten."}),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            rows.update(**change)
