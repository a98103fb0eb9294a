"""Follow-ups, reminders and reminder policies written while they belonged to the treatments app
are all there, unchanged, once the scheduling app has taken their tables over (scheduling
migration 0001, state only), and their content types moved with them."""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from scheduling.models import Appointment, FollowUp, Reminder, ReminderPolicy
from tests.factories import TreatmentSessionFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

BEFORE = [("treatments", "0010_followup_followup_due_treatmentsession_session_time")]


def test_rows_written_before_scheduling_was_carved_out_are_all_found_after_it():
    # Clinic, patient and session tables are not part of the move: today's factories write them.
    session = TreatmentSessionFactory()
    patient = session.patient
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    old_types = {
        model: ContentType.objects.get_or_create(app_label="treatments", model=model)[0].pk
        for model in ("followup", "reminder", "reminderpolicy")
    }
    due = timezone.now() + dt.timedelta(days=3)
    follow_ups = [
        old.get_model("treatments", "FollowUp").objects.create(
            patient_id=patient.pk, session_id=session.pk, kind=kind, due_at=due, note=kind
        )
        for kind in ("appointment", "check_in")
    ]
    reminders = [
        old.get_model("treatments", "Reminder").objects.create(
            follow_up_id=follow_ups[0].pk,
            channel=channel,
            kind="before_48h",
            send_at=due - dt.timedelta(hours=48),
        )
        for channel in ("email", "sms")
    ]
    policy = old.get_model("treatments", "ReminderPolicy").objects.create(
        clinic_id=patient.clinic_id, first_reminder_hours=72, second_reminder_hours=3
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert sorted(FollowUp.objects.values_list("pk", "kind", "session_id", "patient_id")) == [
        (f.pk, f.kind, session.pk, patient.pk) for f in follow_ups
    ]
    moved = Reminder.objects.select_related("follow_up").order_by("pk")
    assert [(r.pk, r.channel, r.follow_up.pk) for r in moved] == [
        (r.pk, r.channel, follow_ups[0].pk) for r in reminders
    ]
    kept = ReminderPolicy.objects.get(clinic_id=patient.clinic_id)
    assert (kept.pk, kept.first_reminder_hours, kept.second_reminder_hours) == (policy.pk, 72, 3)
    assert FollowUp._meta.db_table == "treatments_followup"
    # Permissions and admin history point at content type ids: the rows moved, not new ones.
    assert {
        model: ContentType.objects.get(app_label="scheduling", model=model).pk
        for model in old_types
    } == old_types
    assert not ContentType.objects.filter(app_label="treatments", model__in=old_types).exists()


BOOK_BEFORE = [("scheduling", "0001_initial")]


def test_open_appointment_follow_ups_go_on_the_book_with_their_reminders():
    """Scheduling 0002-0003: every row written before the book is found after it. An open
    appointment follow-up with a therapist becomes an appointment whose reminders (sent ones,
    with their answer links, included) are the follow-up's own rows; one overlapping an earlier
    one, one without a therapist, a closed one and a check-in stay follow-ups, reminders kept."""
    session = TreatmentSessionFactory()
    patient, therapist = session.patient, session.therapist
    executor = MigrationExecutor(connection)
    executor.migrate(BOOK_BEFORE)
    old = executor.loader.project_state(BOOK_BEFORE).apps
    OldFollowUp = old.get_model("scheduling", "FollowUp")
    OldReminder = old.get_model("scheduling", "Reminder")
    due = timezone.now().replace(microsecond=0) + dt.timedelta(days=3)

    def follow_up(note, **values):
        values = {"kind": "appointment", "due_at": due, "therapist_id": therapist.pk, **values}
        return OldFollowUp.objects.create(patient_id=patient.pk, note=note, **values)

    placed = follow_up("placed", status="confirmed", answered_by_patient_at=timezone.now())
    overlapping = follow_up("overlapping", due_at=due + dt.timedelta(minutes=30))
    no_therapist = follow_up("no therapist", therapist_id=None)
    closed = follow_up("closed", status="cancelled")
    check_in = follow_up("check-in", kind="check_in", session_id=session.pk)
    reminders = {
        (f.note, channel): OldReminder.objects.create(
            follow_up_id=f.pk,
            channel=channel,
            kind="before_48h",
            send_at=due - dt.timedelta(hours=48),
            status="sent" if f is placed and channel == "sms" else "pending",
            sent_at=timezone.now() if f is placed and channel == "sms" else None,
            answer_token_hash="a" * 64 if f is placed and channel == "sms" else "",
        )
        for f in (placed, overlapping, no_therapist, closed, check_in)
        for channel in ("email", "sms")
    }

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    appointment = Appointment.objects.get()
    assert (
        appointment.patient_id,
        appointment.therapist_id,
        appointment.clinic_id,
        appointment.starts_at,
        appointment.duration_minutes,
        appointment.status,
        appointment.follow_up_id,
        appointment.confirmed_at is not None,
    ) == (patient.pk, therapist.pk, patient.clinic_id, due, 45, "booked", placed.pk, True)
    statuses = dict(FollowUp.objects.values_list("note", "status"))
    assert statuses == {
        "placed": "done",
        "overlapping": "planned",
        "no therapist": "planned",
        "closed": "cancelled",
        "check-in": "planned",
    }
    after = {r.pk: r for r in Reminder.objects.all()}
    assert set(after) == {r.pk for r in reminders.values()}
    for (note, _channel), before in reminders.items():
        row = after[before.pk]
        assert row.patient_id == patient.pk
        if note == "placed":
            assert (row.appointment_id, row.follow_up_id) == (appointment.pk, None)
        else:
            assert (row.appointment_id, row.follow_up_id) == (None, before.follow_up_id)
        assert (row.status, row.answer_token_hash) == (before.status, before.answer_token_hash)
