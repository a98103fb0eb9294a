"""Follow-ups, reminders and reminder policies written while they belonged to the treatments app
are all there, unchanged, once the scheduling app has taken their tables over (scheduling
migration 0001, state only), and their content types moved with them."""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from scheduling.models import FollowUp, Reminder, ReminderPolicy
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
