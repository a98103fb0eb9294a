"""The appointment book's figures, against a week computed by hand: no-show, late-cancellation
and rebooking rates, new and returning patients, utilisation per therapist; one therapist's
figures; another clinic's rows left out; a query count that does not grow with the book."""

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from scheduling.models import Appointment, WorkingHours, WorkingHoursException
from tests.api_client import api_as
from tests.factories import PatientFactory, TreatmentSessionFactory

pytestmark = pytest.mark.django_db

ZONE = zoneinfo.ZoneInfo("America/Toronto")  # the factories' clinic's
URL = "/api/v1/reports/operations/"


def _monday() -> dt.date:
    """Monday two weeks ago, in the clinic's dates: the week the figures cover."""
    today = timezone.localdate(timezone.now(), ZONE)
    return today - dt.timedelta(days=today.weekday() + 14)


def _local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZONE)


def _appointment(patient, therapist, starts_at, *, minutes=60, status="completed", created=None):
    cancelled = status == "cancelled"
    row = Appointment.objects.create(
        clinic=patient.clinic,
        patient=patient,
        therapist=therapist,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=minutes),
        status=status,
        cancelled_at=starts_at - dt.timedelta(hours=3) if cancelled else None,
    )
    if created is not None:
        Appointment.objects.filter(pk=row.pk).update(created_at=created)
    return row


@pytest.fixture
def week(clinic_a, therapist, manager, stranger, patient_b):
    """Therapist: Mondays 09:00-17:00 and Wednesdays 09:00-13:00, on leave that Wednesday, so
    8 working hours. Manager (treats too): hours not kept. On that Monday:
    P1 09:00 completed, rebooked at 09:50 (before the end + 30 min); had a session before
    P2 10:00 completed, nothing later; had an attended appointment the week before
    P3 11:00 no-show
    P4 12:00 cancelled late; P5 13:00 cancelled in time
    P6 14:00 arrived, rebooked at 20:00 the same day
    P7 15:00 completed, rebooked the next morning (not before leaving)
    P8 09:00 with the manager, 45 min, completed, nothing later."""
    monday = _monday()
    wednesday = monday + dt.timedelta(days=2)
    WorkingHours.objects.create(
        clinic=clinic_a, therapist=therapist, weekday=0, starts="09:00", ends="17:00"
    )
    WorkingHours.objects.create(
        clinic=clinic_a, therapist=therapist, weekday=2, starts="09:00", ends="13:00"
    )
    WorkingHoursException.objects.create(
        clinic=clinic_a, therapist=therapist, first_day=wednesday, last_day=wednesday
    )
    p = {n: PatientFactory(clinic=clinic_a) for n in range(1, 9)}
    next_week = monday + dt.timedelta(days=7)
    _appointment(p[1], therapist, _local(monday, 9))
    _appointment(p[1], therapist, _local(next_week, 9), created=_local(monday, 9, 50))
    TreatmentSessionFactory(
        patient=p[1], therapist=therapist, started_at=_local(monday - dt.timedelta(days=30), 9)
    )
    _appointment(p[2], therapist, _local(monday - dt.timedelta(days=7), 10))
    _appointment(p[2], therapist, _local(monday, 10))
    _appointment(p[3], therapist, _local(monday, 11), status="no_show")
    late = _appointment(p[4], therapist, _local(monday, 12), status="cancelled")
    Appointment.objects.filter(pk=late.pk).update(cancelled_late=True)
    _appointment(p[5], therapist, _local(monday, 13), status="cancelled")
    _appointment(p[6], therapist, _local(monday, 14), status="arrived")
    _appointment(p[6], therapist, _local(next_week, 14), created=_local(monday, 20))
    _appointment(p[7], therapist, _local(monday, 15))
    _appointment(
        p[7], therapist, _local(next_week, 15), created=_local(monday + dt.timedelta(days=1), 9)
    )
    _appointment(p[8], manager, _local(monday, 9), minutes=45)
    # Another clinic's no-show, the same morning: never counted here.
    _appointment(patient_b, stranger, _local(monday, 9), status="no_show")
    return {"from": monday.isoformat(), "to": (monday + dt.timedelta(days=6)).isoformat()}


def test_the_weeks_figures_are_the_ones_computed_by_hand(manager, therapist, week):
    answer = api_as(manager).get(URL, {"date_from": week["from"], "date_to": week["to"]})
    assert answer.status_code == 200
    body = answer.json()
    by_therapist = {row["therapist"]: row for row in body.pop("by_therapist")}
    assert body == {
        "appointments": 8,
        "attended": 5,  # P1, P2, P6, P7, P8
        "no_shows": 1,
        "cancelled": 2,
        "cancelled_late": 1,
        "rebooked": 2,  # P1, P6
        "patients_seen": 5,
        "new_patients": 3,  # P6, P7, P8
        "returning_patients": 2,  # P1 (a session before), P2 (an appointment before)
        "no_show_rate": 16.7,  # 1 / (5 + 1)
        "late_cancellation_rate": 12.5,  # 1 / 8
        "rebooking_rate": 40.0,  # 2 / 5
        "late_cancellation_hours": 24,
    }
    assert by_therapist[therapist.pk] | {"name": ""} == {
        "therapist": therapist.pk,
        "name": "",
        "booked_hours": 5.0,  # P1, P2, P3 (no-show), P6, P7
        "working_hours": 8.0,  # Monday; Wednesday on leave
        "utilisation": 62.5,
    }
    assert by_therapist[manager.pk]["booked_hours"] == 0.8  # 45 minutes
    assert by_therapist[manager.pk]["working_hours"] is None  # hours not kept
    assert by_therapist[manager.pk]["utilisation"] is None


def test_one_therapists_figures(manager, therapist, week):
    body = (
        api_as(manager)
        .get(URL, {"date_from": week["from"], "date_to": week["to"], "therapist": therapist.pk})
        .json()
    )
    assert (body["appointments"], body["attended"], body["no_show_rate"]) == (7, 4, 20.0)
    assert (body["late_cancellation_rate"], body["rebooking_rate"]) == (14.3, 50.0)
    assert [row["therapist"] for row in body["by_therapist"]] == [therapist.pk]


def test_an_empty_period_has_no_rates(manager):
    body = api_as(manager).get(URL, {"date_from": "2001-01-01", "date_to": "2001-01-31"}).json()
    assert (body["appointments"], body["no_show_rate"], body["rebooking_rate"]) == (0, None, None)


def test_only_managers_read_the_figures(therapist, front_desk):
    assert api_as(therapist).get(URL).status_code == 403
    assert api_as(front_desk).get(URL).status_code == 403


def test_the_query_count_does_not_grow_with_the_book(
    clinic_a, manager, therapist, week, django_assert_max_num_queries
):
    client = api_as(manager)
    params = {"date_from": week["from"], "date_to": week["to"]}
    # Sign-in and clinic (4); the statement with its work_mem (a savepoint here, 4); the window,
    # the therapists, their hours (2).
    with django_assert_max_num_queries(12) as small:
        client.get(URL, params)
    tuesday = dt.date.fromisoformat(week["from"]) + dt.timedelta(days=1)
    for hour in range(8, 20):
        for who in (therapist, manager):
            _appointment(PatientFactory(clinic=clinic_a), who, _local(tuesday, hour))
    with django_assert_max_num_queries(len(small.captured_queries)):
        body = client.get(URL, params).json()
    assert body["appointments"] == 8 + 24
