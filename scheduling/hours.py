"""Therapists' working hours as intervals of real time: the weekly hours of each weekday, unless
an exception covers the day (leave: nothing; a changed day: its own intervals). Days are the
clinic's, so an interval is built from a local date and wall-clock times in the clinic's zone,
which keeps 09:00 at 09:00 across a DST change; the arithmetic is then done in UTC (Python
adds to an aware local time on the wall clock, which a DST change would bend)."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

from clinic.models import Clinic

from .models import Appointment, WorkingHours, WorkingHoursException

Interval = tuple[dt.datetime, dt.datetime]
WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]
# Slots offered start on the quarter hour, as the day view's rows.
SLOT_MINUTES = 15


def _local(day: dt.date, time: dt.time, zone) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=zone).astimezone(dt.UTC)


def working_intervals(
    *, clinic: Clinic, therapist_ids: Iterable[int], first_day: dt.date, last_day: dt.date
) -> dict[int, dict[dt.date, list[Interval]] | None]:
    """Per therapist, per day from first_day to last_day, the intervals they work; None for a
    therapist with no weekly hours at all (hours not kept: no limit). Two queries."""
    ids = list(therapist_ids)
    weekly: dict[int, dict[int, list[tuple[dt.time, dt.time]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for hours in WorkingHours.objects.filter(clinic=clinic, therapist_id__in=ids).order_by(
        "weekday", "starts"
    ):
        weekly[hours.therapist_id][hours.weekday].append((hours.starts, hours.ends))
    changed: dict[int, list[WorkingHoursException]] = defaultdict(list)
    for exception in WorkingHoursException.objects.filter(
        clinic=clinic, therapist_id__in=ids, first_day__lte=last_day, last_day__gte=first_day
    ).order_by("first_day", "starts"):
        changed[exception.therapist_id].append(exception)
    zone = clinic.zone
    days = [first_day + dt.timedelta(n) for n in range((last_day - first_day).days + 1)]
    result: dict[int, dict[dt.date, list[Interval]] | None] = {}
    for therapist_id in ids:
        if therapist_id not in weekly and not changed[therapist_id]:
            result[therapist_id] = None
            continue
        per_day = {}
        for day in days:
            exceptions = [e for e in changed[therapist_id] if e.first_day <= day <= e.last_day]
            if exceptions:
                times = [
                    (e.starts, e.ends)
                    for e in exceptions
                    if e.starts is not None and e.ends is not None  # leave has no times
                ]
            else:
                times = weekly[therapist_id][day.weekday()]
            per_day[day] = [(_local(day, a, zone), _local(day, b, zone)) for a, b in times]
        result[therapist_id] = per_day
    return result


def within_hours(
    *, clinic: Clinic, therapist_id: int, starts_at: dt.datetime, ends_at: dt.datetime
) -> bool:
    """Whether one interval of the therapist's day holds the whole appointment (always, for a
    therapist whose hours are not kept)."""
    day = starts_at.astimezone(clinic.zone).date()
    hours = working_intervals(
        clinic=clinic, therapist_ids=[therapist_id], first_day=day, last_day=day
    )[therapist_id]
    if hours is None:
        return True
    return any(start <= starts_at and ends_at <= end for start, end in hours[day])


def _round_up(moment: dt.datetime, zone) -> dt.datetime:
    local = moment.astimezone(zone)
    past = (local.minute % SLOT_MINUTES) * 60 + local.second + local.microsecond / 1e6
    moment = moment.astimezone(dt.UTC)
    return moment + dt.timedelta(seconds=SLOT_MINUTES * 60 - past) if past else moment


def free_slots(
    *,
    clinic: Clinic,
    therapist_id: int,
    duration_minutes: int,
    after: dt.datetime,
    count: int = 5,
    days: int = 14,
) -> list[dt.datetime]:
    """The next `count` start times (quarter hours) after `after`, within the therapist's hours
    over the next `days` days, where `duration_minutes` fits between their appointments."""
    zone = clinic.zone
    first_day = after.astimezone(zone).date()
    last_day = first_day + dt.timedelta(days=days)
    hours = working_intervals(
        clinic=clinic, therapist_ids=[therapist_id], first_day=first_day, last_day=last_day
    )[therapist_id]
    if hours is None:
        return []
    horizon = _local(last_day + dt.timedelta(1), dt.time(0), zone)
    taken = list(
        Appointment.objects.filter(
            therapist_id=therapist_id,
            status__in=Appointment.HOLDS_TIME,
            starts_at__lt=horizon,
            ends_at__gt=after,
        )
        .order_by("starts_at")
        .values_list("starts_at", "ends_at")
    )
    length = dt.timedelta(minutes=duration_minutes)
    slots: list[dt.datetime] = []
    for day in sorted(hours):
        for start, end in hours[day]:
            moment = _round_up(max(start, after), zone)
            while moment + length <= end and len(slots) < count:
                clash = next((b for a, b in taken if a < moment + length and moment < b), None)
                if clash is None:
                    slots.append(moment)
                    moment += dt.timedelta(minutes=SLOT_MINUTES)
                else:
                    moment = _round_up(clash, zone)
    return slots
