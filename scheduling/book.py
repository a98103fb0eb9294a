"""The book's page data: a grid of quarter hours (rows, wall-clock times in the clinic's zone)
by columns (a therapist on a day: the day view's therapists, the week view's days), each cell an
appointment block, a free slot to book, or closed (outside the hours, or past). Built from a
fixed number of queries whatever the day holds."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils import timezone

from clinic.models import Clinic
from clinic.permissions import visible
from clinic.types import User

from .hours import SLOT_MINUTES, Interval, working_intervals
from .models import Appointment
from .selectors import clinic_therapists

# The rows shown at least, when no hours or appointment reach further.
DAY_STARTS, DAY_ENDS = dt.time(8, 0), dt.time(18, 0)
STEP = dt.timedelta(minutes=SLOT_MINUTES)


@dataclass
class Column:
    therapist: User
    day: dt.date
    # Per day, the therapist's intervals; None: hours not kept (every time is open).
    hours: dict[dt.date, list[Interval]] | None = None


@dataclass
class Cell:
    column: Column
    starts_at: dt.datetime  # UTC
    state: str = "closed"  # "free", "closed" or "block"
    appointments: list = field(default_factory=list)
    rows: int = 1


@dataclass
class Row:
    time: dt.time
    cells: list = field(default_factory=list)  # a block's later rows have no cell


@dataclass
class BookGrid:
    clinic: Clinic
    columns: list[Column]
    rows: list[Row]
    # Cancelled and no-show appointments of the period: they hold no time, so not in the grid.
    off_the_grid: list[Appointment]


def _wall_minutes(moment: dt.datetime, zone) -> int:
    local = moment.astimezone(zone)
    return local.hour * 60 + local.minute


def appointments_between(*, user, clinic: Clinic, start: dt.datetime, end: dt.datetime) -> QuerySet:
    """The clinic's appointments starting in [start, end), every status, with who and where."""
    return (
        visible(user, Appointment)
        .filter(clinic=clinic, starts_at__gte=start, starts_at__lt=end)
        .select_related("patient", "room")
        .order_by("starts_at", "id")
    )


def _bounds(day: dt.date, days: int, zone) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days), dt.time(0), tzinfo=zone)
    return start, end


def _first_and_last(
    columns: list[Column], appointments: list[Appointment], zone
) -> tuple[int, int]:
    """The grid's first and last wall-clock minute: the usual day, widened to every interval of
    the hours and every appointment shown."""
    first = DAY_STARTS.hour * 60 + DAY_STARTS.minute
    last = DAY_ENDS.hour * 60 + DAY_ENDS.minute
    for column in columns:
        for start, end in (column.hours or {}).get(column.day, []):
            first = min(first, _wall_minutes(start, zone))
            last = max(last, _wall_minutes(end, zone) or 24 * 60)
    for appointment in appointments:
        first = min(first, _wall_minutes(appointment.starts_at, zone))
        ending = appointment.ends_at.astimezone(zone)
        same_day = ending.date() == appointment.starts_at.astimezone(zone).date()
        last = max(last, _wall_minutes(ending, zone) if same_day else 24 * 60)
    first -= first % SLOT_MINUTES
    last += -last % SLOT_MINUTES
    return first, last


def _instant(day: dt.date, minutes: int, zone) -> dt.datetime | None:
    """The moment a wall-clock time of a day is, or None when the clock skips it (DST)."""
    local = dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tzinfo=zone)
    instant = local.astimezone(dt.UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return instant


def _open(column: Column, starts_at: dt.datetime, now: dt.datetime) -> bool:
    if starts_at < now:
        return False
    if column.hours is None:
        return True
    intervals = column.hours.get(column.day, [])
    return any(start <= starts_at and starts_at + STEP <= end for start, end in intervals)


def _blocks(
    columns: list[Column], holding: list[Appointment], first: int, count: int, zone
) -> list[dict[int, Cell]]:
    """Per column, the block starting at each row. Appointments that share a row (one ends at
    10:50, the next starts at 10:50) make one block, so no row holds two."""
    by_column = {(c.therapist.pk, c.day): i for i, c in enumerate(columns)}
    spans: list[list[list]] = [[] for _ in columns]
    for appointment in holding:
        local = appointment.starts_at.astimezone(zone)
        index = by_column.get((appointment.therapist_id, local.date()))
        if index is None:
            continue
        start = _wall_minutes(local, zone) - first
        end = start + int((appointment.ends_at - appointment.starts_at).total_seconds() // 60)
        start_row, end_row = start // SLOT_MINUTES, min(-(-end // SLOT_MINUTES), count)
        previous = spans[index][-1] if spans[index] else None
        if previous and start_row < previous[1]:
            previous[1] = max(previous[1], end_row)
            previous[2].append(appointment)
        else:
            spans[index].append([start_row, max(end_row, start_row + 1), [appointment]])
    return [
        {
            start: Cell(
                column=columns[index],
                starts_at=group[0].starts_at,
                state="block",
                appointments=group,
                rows=end - start,
            )
            for start, end, group in column_spans
        }
        for index, column_spans in enumerate(spans)
    ]


def _free_or_closed(column: Column, minutes: int, now: dt.datetime, zone) -> Cell:
    instant = _instant(column.day, minutes, zone) if minutes < 24 * 60 else None
    if instant is None:
        return Cell(column=column, starts_at=now, state="closed")
    return Cell(
        column=column, starts_at=instant, state="free" if _open(column, instant, now) else "closed"
    )


def _grid(
    clinic: Clinic, columns: list[Column], appointments: list[Appointment], now: dt.datetime
) -> BookGrid:
    zone = clinic.zone
    holding = [a for a in appointments if a.status in Appointment.HOLDS_TIME]
    first, last = _first_and_last(columns, holding, zone)
    count = (last - first) // SLOT_MINUTES
    blocks = _blocks(columns, holding, first, count, zone)
    covered = [
        {row for start, cell in column.items() for row in range(start, start + cell.rows)}
        for column in blocks
    ]
    rows = []
    for r in range(count):
        minutes = first + r * SLOT_MINUTES
        row = Row(time=dt.time(minutes // 60 % 24, minutes % 60))
        for index, column in enumerate(columns):
            if r in blocks[index]:
                row.cells.append(blocks[index][r])
            elif r not in covered[index]:
                row.cells.append(_free_or_closed(column, minutes, now, zone))
        rows.append(row)
    off = [a for a in appointments if a.status not in Appointment.HOLDS_TIME]
    return BookGrid(clinic=clinic, columns=columns, rows=rows, off_the_grid=off)


def book_day(*, user, clinic: Clinic, day: dt.date, now: dt.datetime | None = None) -> BookGrid:
    """The day view: a column per therapist."""
    now = now or timezone.now()
    therapists = list(clinic_therapists(clinic=clinic))
    hours = working_intervals(
        clinic=clinic, therapist_ids=[t.pk for t in therapists], first_day=day, last_day=day
    )
    columns = [Column(therapist=t, day=day, hours=hours[t.pk]) for t in therapists]
    start, end = _bounds(day, 1, clinic.zone)
    appointments = list(appointments_between(user=user, clinic=clinic, start=start, end=end))
    return _grid(clinic, columns, appointments, now)


def book_week(
    *, user, clinic: Clinic, therapist, monday: dt.date, now: dt.datetime | None = None
) -> BookGrid:
    """The week view of one therapist: a column per day, Monday to Sunday."""
    now = now or timezone.now()
    days = [monday + dt.timedelta(n) for n in range(7)]
    hours = working_intervals(
        clinic=clinic, therapist_ids=[therapist.pk], first_day=days[0], last_day=days[-1]
    )[therapist.pk]
    columns = [Column(therapist=therapist, day=day, hours=hours) for day in days]
    start, end = _bounds(monday, 7, clinic.zone)
    appointments = list(
        appointments_between(user=user, clinic=clinic, start=start, end=end).filter(
            therapist=therapist
        )
    )
    return _grid(clinic, columns, appointments, now)
