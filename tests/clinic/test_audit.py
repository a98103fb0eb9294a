"""The audit trail: keyed (HMAC) rows, one chain linked after commit, anchored outside the
database, append-only on PostgreSQL, verified by `audit_verify`."""

import hashlib
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from clinic.audit import audit_chain, audit_record, audit_verify
from clinic.models import AuditChainLink, AuditEvent, Membership
from tests.factories import MembershipFactory, TreatmentSessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def actor(therapist):
    """The therapist, whose creation's audit row (a role granted) is already linked: link 1."""
    audit_chain()
    return therapist


def _events(n, actor):
    return [audit_record(action="read", actor=actor) for _ in range(n)]


def _chained(n, actor, django_capture_on_commit_callbacks):
    """n events, linked and anchored as the beat task would once they committed."""
    events = _events(n, actor)
    with django_capture_on_commit_callbacks(execute=True):
        audit_chain()
    return events


def test_events_are_keyed_then_linked_into_one_chain(actor, settings):
    first, second = _events(2, actor)
    assert AuditChainLink.objects.count() == 1  # writers link nothing: no lock to wait for
    assert first.mac != second.mac and len(first.mac) == 64
    assert audit_chain() == 2
    assert audit_chain() == 0
    one, two = AuditChainLink.objects.filter(seq__gt=1).order_by("seq")
    assert (one.seq, one.event, two.seq, two.event) == (2, first, 3, second)
    assert two.previous == one.mac
    assert audit_verify() == []
    call_command("audit_verify", stdout=None)


def test_a_row_whose_hash_was_recomputed_without_the_key_is_named(actor, settings):
    event, _ = _events(2, actor)
    settings.AUDIT_HMAC_KEY = "a key the attacker guessed"
    assert (
        f"audit event {event.pk}: its content was changed or forged (its HMAC does not match)"
    ) in audit_verify()


def test_checkpoints_of_the_head_are_signed_and_appended_outside_the_database(
    actor, settings, django_capture_on_commit_callbacks
):
    _chained(3, actor, django_capture_on_commit_callbacks)
    _chained(1, actor, django_capture_on_commit_callbacks)
    lines = [json.loads(line) for line in settings.AUDIT_ANCHOR_FILE.read_text().splitlines()]
    assert [point["seq"] for point in lines] == [4, 5]
    assert lines[-1]["mac"] == AuditChainLink.objects.get(seq=5).mac
    assert audit_verify() == []


def test_a_forged_checkpoint_is_named(actor, settings, django_capture_on_commit_callbacks):
    _chained(1, actor, django_capture_on_commit_callbacks)
    with open(settings.AUDIT_ANCHOR_FILE, "a") as anchor:
        anchor.write(json.dumps({"seq": 2, "mac": "0" * 64, "at": "now", "sig": "f" * 64}) + "\n")
    assert audit_verify() == ["audit anchor line 2: not a checkpoint signed with the key"]


@pytest.mark.postgres
def test_postgresql_refuses_to_update_delete_or_truncate_audit_rows(actor):
    assert connection.vendor == "postgresql", "CI runs this on PostgreSQL"
    (event,) = _events(1, actor)
    audit_chain()
    for sql in (
        "UPDATE clinic_auditevent SET action = 'export' WHERE id = %s",
        "DELETE FROM clinic_auditevent WHERE id = %s",
        "UPDATE clinic_auditchainlink SET previous = 'x' WHERE event_id = %s",
        "DELETE FROM clinic_auditchainlink WHERE event_id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    for table in ("clinic_auditevent", "clinic_auditchainlink"):
        with pytest.raises(DatabaseError, match="append-only"):
            _truncate_with_the_switch_off(table)
    assert AuditEvent.objects.get(pk=event.pk).action == "read"


def _truncate_with_the_switch_off(table):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred FK checks pending
        cursor.execute("SET LOCAL clinic.allow_audit_truncate = off")
        cursor.execute(f"TRUNCATE {table} CASCADE")


def _behind_the_triggers_back(*statements):
    """What an owner of the tables (or a superuser) could do: switch the triggers off."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred FK checks pending
        for table in ("clinic_auditevent", "clinic_auditchainlink"):
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        for sql, params in statements:
            cursor.execute(sql, params)
        for table in ("clinic_auditevent", "clinic_auditchainlink"):
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


@pytest.mark.postgres
def test_audit_verify_names_a_row_edited_and_rehashed_behind_the_triggers_back(actor):
    events = _events(3, actor)
    audit_chain()
    edited = AuditEvent.objects.get(pk=events[1].pk)
    edited.action = "list"
    unkeyed = hashlib.sha256(edited.payload().encode()).hexdigest()
    _behind_the_triggers_back(
        (
            "UPDATE clinic_auditevent SET action = 'list', mac = %s WHERE id = %s",
            [unkeyed, edited.pk],
        ),
    )
    problems = audit_verify()
    assert problems[0] == (
        f"audit event {edited.pk}: its content was changed or forged (its HMAC does not match)"
    )
    assert f"audit chain link 3 (event {edited.pk}): changed after it was written" in problems
    with pytest.raises(CommandError, match="tampered"):
        call_command("audit_verify")


@pytest.mark.postgres
def test_audit_verify_notices_a_row_deleted_from_the_middle(actor):
    events = _events(3, actor)
    audit_chain()
    _behind_the_triggers_back(
        ("DELETE FROM clinic_auditchainlink WHERE event_id = %s", [events[1].pk]),
        ("DELETE FROM clinic_auditevent WHERE id = %s", [events[1].pk]),
    )
    assert audit_verify() == [
        "audit chain: links 3 to 3 were deleted",
        f"audit chain link 4 (event {events[2].pk}): the link before it was changed or deleted",
    ]


@pytest.mark.postgres
def test_audit_verify_notices_the_newest_rows_deleted_or_the_trail_emptied(
    actor, django_capture_on_commit_callbacks
):
    events = _chained(3, actor, django_capture_on_commit_callbacks)
    _behind_the_triggers_back(
        ("DELETE FROM clinic_auditchainlink WHERE event_id = %s", [events[2].pk]),
        ("DELETE FROM clinic_auditevent WHERE id = %s", [events[2].pk]),
    )
    (problem,) = audit_verify()
    assert problem.startswith("audit chain: ends at link 3, but the anchor saw link 4 on ")
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE clinic_auditchainlink, clinic_auditevent")  # as the owner
    (problem,) = audit_verify()
    assert problem.startswith("audit chain: ends at link 0, but the anchor saw link 4 on ")


def test_reading_a_session_and_the_chart_leaves_an_audit_row_without_health_data(
    client, therapist, patient
):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    client.force_login(therapist)
    client.get(reverse("patient_chart", args=[patient.pk]), REMOTE_ADDR="10.1.2.3")
    client.get(reverse("session_detail", args=[session.pk]))
    chart, note = AuditEvent.objects.filter(action="read").order_by("id")
    assert (chart.action, chart.object_type, chart.patient_id) == (
        "read",
        "patients.patient",
        patient.pk,
    )
    assert chart.ip == "10.1.2.3" and chart.actor == therapist and len(chart.request_id) == 32
    assert (note.object_type, note.object_id) == ("treatments.treatmentsession", str(session.pk))
    assert patient.last_name not in chart.payload()


def test_granting_changing_and_removing_a_role_is_audited(clinic_a):
    membership = MembershipFactory(clinic=clinic_a, role="front_desk")
    Membership.objects.filter(pk=membership.pk).first().delete()
    changes = AuditEvent.objects.filter(action="role_change", clinic=clinic_a)
    assert changes.count() == 2
    assert {e.object_id for e in changes} == {str(membership.pk)}
