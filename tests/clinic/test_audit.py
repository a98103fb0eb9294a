"""The audit trail: hash-chained, append-only on PostgreSQL, verified by `audit_verify`."""

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from clinic.audit import audit_record, audit_verify
from clinic.models import AuditEvent, Membership
from tests.factories import MembershipFactory, TreatmentSessionFactory

pytestmark = pytest.mark.django_db


def _events(n, actor):
    return [audit_record(action="read", actor=actor) for _ in range(n)]


def test_each_event_is_chained_to_the_previous_one(therapist):
    first, second = _events(2, therapist)
    assert second.previous_hash == first.hash
    assert audit_verify() == []
    call_command("audit_verify", stdout=None)


@pytest.mark.postgres
def test_postgresql_refuses_to_update_delete_or_truncate_audit_rows(therapist):
    assert connection.vendor == "postgresql", "CI runs this on PostgreSQL"
    (event,) = _events(1, therapist)
    for sql in (
        "UPDATE clinic_auditevent SET action = 'export' WHERE id = %s",
        "DELETE FROM clinic_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [event.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred FK checks pending
            cursor.execute("SET LOCAL clinic.allow_audit_truncate = off")
            cursor.execute("TRUNCATE clinic_auditevent")
    assert AuditEvent.objects.get(pk=event.pk).action == "read"


def _behind_the_triggers_back(sql, params):
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred FK checks pending
        cursor.execute("ALTER TABLE clinic_auditevent DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE clinic_auditevent ENABLE TRIGGER USER")


@pytest.mark.postgres
def test_audit_verify_names_a_row_edited_behind_the_triggers_back(therapist):
    events = _events(3, therapist)
    _behind_the_triggers_back(
        "UPDATE clinic_auditevent SET action = 'list' WHERE id = %s", [events[1].pk]
    )
    assert audit_verify() == [
        f"audit event {events[1].pk}: its content was changed after it was written"
    ]
    with pytest.raises(CommandError, match="tampered"):
        call_command("audit_verify")


@pytest.mark.postgres
def test_audit_verify_notices_a_deleted_row(therapist):
    events = _events(3, therapist)
    _behind_the_triggers_back("DELETE FROM clinic_auditevent WHERE id = %s", [events[1].pk])
    (problem,) = audit_verify()
    assert problem.startswith(f"audit event {events[2].pk}: the row before it")


def test_reading_a_session_and_the_chart_leaves_an_audit_row_without_health_data(
    client, therapist, patient
):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    client.force_login(therapist)
    client.get(reverse("patient_chart", args=[patient.pk]), REMOTE_ADDR="10.1.2.3")
    client.get(reverse("session_detail", args=[session.pk]))
    chart, note = AuditEvent.objects.filter(action="read").order_by("id")
    assert (chart.action, chart.object_type, chart.patient_id) == (
        "read", "patients.patient", patient.pk,
    )  # fmt: skip
    assert chart.ip == "10.1.2.3" and chart.actor == therapist and len(chart.request_id) == 32
    assert (note.object_type, note.object_id) == ("treatments.treatmentsession", str(session.pk))
    assert patient.last_name not in chart.payload()


def test_granting_changing_and_removing_a_role_is_audited(clinic_a):
    membership = MembershipFactory(clinic=clinic_a, role="front_desk")
    Membership.objects.filter(pk=membership.pk).first().delete()
    changes = AuditEvent.objects.filter(action="role_change", clinic=clinic_a)
    assert changes.count() == 2
    assert {e.object_id for e in changes} == {str(membership.pk)}
