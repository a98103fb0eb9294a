"""The audit trail's months on PostgreSQL (clinic migration 0016): made ahead, dropped past
retention. Run daily by beat (`clinic.audit_partitions`) and by `manage.py audit_partitions`;
both idempotent. SQLite keeps one plain table and nothing here runs.

A month goes only when all of these hold (the owner's SQL function checks them again, so the
application's role cannot skip them):
- it ended more than the retention ago: AUDIT_RETENTION_MONTHS, or the longest
  `Clinic.retention_years` when that is longer;
- no row in it names a patient whose record is still kept. Records are kept years after the
  *last* visit, so a month that read a returning patient's chart stays as long as the chart;
- its chain links are described in a keyed `AuditRetentionCut`, written in the same
  transaction, so `audit_verify` can tell the gap from a deletion."""

import datetime as dt
import logging
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Max
from django.utils import timezone
from psycopg2 import errorcodes

from .audit import audit_chain
from .models import AuditEvent, AuditRetentionCut, Clinic

log = logging.getLogger(__name__)

PARTITION_NAME = re.compile(r"_p(\d{4})_(\d{2})$")


@dataclass
class PartitionReport:
    created: list[dt.date] = field(default_factory=list)
    dropped: list[dt.date] = field(default_factory=list)
    # Months past the retention age still kept, with the database's reason.
    held: list[tuple[dt.date, str]] = field(default_factory=list)


def _add_months(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _month_of(moment: dt.datetime) -> dt.date:
    moment = moment.astimezone(dt.UTC)
    return dt.date(moment.year, moment.month, 1)


def audit_partition_months() -> list[dt.date]:
    """The months that have a partition of their own, oldest first (none on SQLite)."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = %s::regclass",
            [AuditEvent._meta.db_table],
        )
        names = [name for (name,) in cursor.fetchall()]
    return sorted(
        dt.date(int(match[1]), int(match[2]), 1)
        for name in names
        if (match := PARTITION_NAME.search(name))
    )


def retention_months() -> int:
    longest_clinic = Clinic.objects.aggregate(years=Max("retention_years"))["years"] or 0
    return max(settings.AUDIT_RETENTION_MONTHS, longest_clinic * 12)


def _cut(month: dt.date) -> AuditRetentionCut:
    """The month's links as runs of consecutive `seq` (gaps and islands, in SQL), each with the
    MAC of its last link; refused while an event of the month is not linked yet."""
    lo = dt.datetime.combine(month, dt.time(), tzinfo=dt.UTC)
    hi = dt.datetime.combine(_add_months(month, 1), dt.time(), tzinfo=dt.UTC)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT min(seq), max(seq), (array_agg(mac ORDER BY seq DESC))[1]
            FROM (SELECT seq, mac, seq - row_number() OVER (ORDER BY seq) AS run
                  FROM clinic_auditchainlink
                  WHERE event_at >= %s AND event_at < %s) AS links
            GROUP BY run ORDER BY 1
            """,
            [lo, hi],
        )
        runs = [list(row) for row in cursor.fetchall()]
    events = AuditEvent.objects.filter(at__gte=lo, at__lt=hi).count()
    linked = sum(last - first + 1 for first, last, _head in runs)
    if linked != events:
        raise ValueError(f"audit month {month:%Y-%m}: {events - linked} events not linked yet")
    cut = AuditRetentionCut(month=month, at=timezone.now(), events=events, runs=runs)
    cut.mac = cut.compute_mac()
    return cut


def _drop(month: dt.date, kept_months: int) -> str | None:
    """Drop one month with its cut; the reason it is held, or None when it went."""
    try:
        with transaction.atomic():
            _cut(month).save(force_insert=True)
            with connection.cursor() as cursor:
                cursor.execute("SELECT clinic_audit_partition_drop(%s, %s)", [month, kept_months])
    except DatabaseError as error:
        # The owner's function refuses with insufficient_privilege (a kept patient, inside
        # retention); anything else is a fault and is raised.
        if getattr(error.__cause__, "pgcode", None) != errorcodes.INSUFFICIENT_PRIVILEGE:
            raise
        return str(error.__cause__).splitlines()[0]
    except ValueError as error:
        return str(error)
    return None


def audit_partitions_maintain(*, now: dt.datetime | None = None) -> PartitionReport:
    """Make this month and AUDIT_PARTITION_MONTHS_AHEAD more; drop the months past retention.
    Run it outside any transaction: it links the chain first, which takes the sequencer's lock."""
    report = PartitionReport()
    if connection.vendor != "postgresql":
        return report
    this_month = _month_of(now or timezone.now())
    with connection.cursor() as cursor:
        for ahead in range(settings.AUDIT_PARTITION_MONTHS_AHEAD + 1):
            month = _add_months(this_month, ahead)
            cursor.execute("SELECT clinic_audit_partition_month(%s)", [month])
            if cursor.fetchone()[0]:
                report.created.append(month)
    kept_months = retention_months()
    newest_droppable = _add_months(this_month, -kept_months - 1)
    due = [month for month in audit_partition_months() if month <= newest_droppable]
    if due:
        audit_chain(full=True)  # every event of a month is linked before its cut is taken
    for month in due:
        reason = _drop(month, kept_months)
        if reason is None:
            report.dropped.append(month)
        else:
            report.held.append((month, reason))
    for month, reason in report.held:
        log.info("audit month %s kept past its age: %s", f"{month:%Y-%m}", reason)
    return report
