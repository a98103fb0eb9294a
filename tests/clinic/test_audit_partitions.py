"""The audit trail's months on PostgreSQL (clinic migration 0016, clinic/partitions.py): made
ahead, rows outside them kept in the default and moved when their month is made, months past
retention dropped with a keyed cut that `audit_verify` crosses, and never a month inside a
record's retention. All against the real partitioned tables."""

import datetime as dt
import secrets

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from clinic.audit import audit_chain, audit_record, audit_verify
from clinic.models import AuditChainLink, AuditEvent, AuditRetentionCut
from clinic.partitions import (
    _add_months,
    _month_of,
    audit_partition_months,
    audit_partitions_maintain,
    retention_months,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _event_at(at, **fields) -> AuditEvent:
    event = AuditEvent(
        at=at, action="read", actor_label="test", nonce=secrets.token_hex(16), **fields
    )
    event.mac = event.compute_mac()
    event.save(force_insert=True)
    return event


def _partition_of(table, pk_column, pk) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT tableoid::regclass::text FROM {table} WHERE {pk_column} = %s",  # noqa: S608 (the tests' own names)
            [pk],
        )
        return cursor.fetchone()[0]


def _old_month() -> dt.date:
    """A month just past the retention: the oldest the job may drop, plus one."""
    return _add_months(_month_of(timezone.now()), -retention_months() - 2)


def _make_month(month):
    with connection.cursor() as cursor:
        cursor.execute("SELECT clinic_audit_partition_month(%s)", [month])


def _at(month: dt.date, day=15) -> dt.datetime:
    return dt.datetime(month.year, month.month, day, 12, tzinfo=dt.UTC)


def test_the_trail_is_partitioned_by_month_and_rows_land_in_their_month(therapist):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relkind FROM pg_class WHERE oid IN "
            "('clinic_auditevent'::regclass, 'clinic_auditchainlink'::regclass)"
        )
        assert {kind for (kind,) in cursor.fetchall()} == {"p"}
    this_month = _month_of(timezone.now())
    assert {_add_months(this_month, ahead) for ahead in range(4)} <= set(audit_partition_months())
    event = audit_record(action="read", actor=therapist)
    audit_chain()
    suffix = f"{this_month:%Y_%m}"
    assert _partition_of("clinic_auditevent", "id", event.pk) == f"clinic_auditevent_p{suffix}"
    assert (
        _partition_of("clinic_auditchainlink", "event_id", event.pk)
        == f"clinic_auditchainlink_p{suffix}"
    )
    assert audit_verify() == []


def test_the_job_makes_the_months_ahead_once_and_the_command_says_so(capsys):
    far = timezone.now() + dt.timedelta(days=5 * 366)
    first = audit_partitions_maintain(now=far)
    assert first.created == [_add_months(_month_of(far), ahead) for ahead in range(4)]
    assert audit_partitions_maintain(now=far).created == []
    call_command("audit_partitions")
    capsys.readouterr()
    call_command("audit_partitions")
    assert capsys.readouterr().out.startswith("Audit months: ")


def test_a_row_outside_the_months_made_goes_to_the_default_and_moves_when_its_month_is_made():
    later = _add_months(_month_of(timezone.now()), 30)
    event = _event_at(_at(later))
    audit_chain()
    assert _partition_of("clinic_auditevent", "id", event.pk) == "clinic_auditevent_default"
    assert (
        _partition_of("clinic_auditchainlink", "event_id", event.pk)
        == "clinic_auditchainlink_default"
    )

    report = audit_partitions_maintain(now=_at(later))

    assert later in report.created
    suffix = f"{later:%Y_%m}"
    assert _partition_of("clinic_auditevent", "id", event.pk) == f"clinic_auditevent_p{suffix}"
    assert (
        _partition_of("clinic_auditchainlink", "event_id", event.pk)
        == f"clinic_auditchainlink_p{suffix}"
    )
    assert audit_verify() == []


def test_a_month_past_retention_goes_with_its_links_and_the_chain_still_verifies(therapist):
    old = _old_month()
    _make_month(old)
    before = audit_record(action="read", actor=therapist)
    old_events = [_event_at(_at(old, day)) for day in (3, 4)]
    after = audit_record(action="read", actor=therapist)
    audit_chain()
    seqs = dict(AuditChainLink.objects.values_list("event_id", "seq"))

    report = audit_partitions_maintain()

    assert old in report.dropped
    assert old not in audit_partition_months()
    assert not AuditEvent.objects.filter(pk__in=[event.pk for event in old_events]).exists()
    cut = AuditRetentionCut.objects.get(month=old)
    assert cut.events == 2
    assert [run[:2] for run in cut.runs] == [[seqs[old_events[0].pk], seqs[old_events[1].pk]]]
    assert {before.pk, after.pk} <= set(AuditEvent.objects.values_list("pk", flat=True))
    assert audit_verify() == []  # the walk crosses the cut, in the middle of the chain
    assert audit_partitions_maintain().dropped == []  # nothing left to drop: idempotent


def test_a_link_deleted_next_to_a_cut_is_still_named(therapist):
    old = _old_month()
    _make_month(old)
    _event_at(_at(old))
    victim = audit_record(action="read", actor=therapist)
    audit_record(action="read", actor=therapist)
    audit_chain()
    audit_partitions_maintain()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table in ("clinic_auditevent", "clinic_auditchainlink"):
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        cursor.execute("DELETE FROM clinic_auditchainlink WHERE event_id = %s", [victim.pk])
        for table in ("clinic_auditevent", "clinic_auditchainlink"):
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    problems = audit_verify()
    assert any("were deleted" in problem for problem in problems), problems


def test_a_forged_cut_does_not_cover_a_deletion(therapist):
    events = [audit_record(action="read", actor=therapist) for _ in range(3)]
    audit_chain()
    link = AuditChainLink.objects.get(event_id=events[1].pk)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE clinic_auditchainlink DISABLE TRIGGER USER")
        cursor.execute("DELETE FROM clinic_auditchainlink WHERE seq = %s", [link.seq])
        cursor.execute("ALTER TABLE clinic_auditchainlink ENABLE TRIGGER USER")
    AuditRetentionCut.objects.create(
        month=dt.date(2001, 1, 1),
        at=timezone.now(),
        events=1,
        runs=[[link.seq, link.seq, link.mac]],
        mac="0" * 64,  # without the key
    )
    problems = audit_verify()
    assert "audit retention cut of 2001-01: changed or forged" in problems
    assert f"audit chain: links {link.seq} to {link.seq} were deleted" in problems


def test_a_month_that_names_a_patient_whose_record_is_kept_is_not_dropped(patient):
    old = _old_month()
    _make_month(old)
    kept = _event_at(_at(old), patient_id=patient.pk, clinic_id=patient.clinic_id)
    audit_chain()

    report = audit_partitions_maintain()

    assert old not in report.dropped
    ((month, reason),) = [held for held in report.held if held[0] == old]
    assert "names patients whose records are kept" in reason
    assert AuditEvent.objects.filter(pk=kept.pk).exists()
    assert not AuditRetentionCut.objects.filter(month=old).exists()  # rolled back with the drop
    assert audit_verify() == []


def test_the_database_refuses_to_drop_a_month_inside_retention_or_without_its_cut():
    this_month = _month_of(timezone.now())
    old = _old_month()
    _make_month(old)
    for month, message in (
        (this_month, "inside the retention"),
        (old, "no retention cut recorded"),
    ):
        with (
            pytest.raises(DatabaseError, match=message),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            # A floor of 0 months asked for: the clinics' retention still holds.
            cursor.execute("SELECT clinic_audit_partition_drop(%s, 0)", [month])
    assert {this_month, old} <= set(audit_partition_months())
