"""A manager sets a therapist's hours on /book/hours/: weekly intervals and days that differ;
the book then offers and accepts times within them only."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from scheduling.appointments import appointment_book
from scheduling.hours import free_slots
from scheduling.models import WorkingHours, WorkingHoursException
from scheduling.working_hours import hours_exception_add, working_hours_add
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def _next(clinic, weekday: int) -> dt.date:
    today = timezone.localdate(timezone.now(), clinic.zone)
    return today + dt.timedelta(days=(weekday - today.weekday()) % 7 or 7)


def test_a_manager_sets_weekly_hours_and_leave_on_the_page(client, clinic_a, manager, therapist):
    client.force_login(manager)
    url = f"{reverse('working_hours')}?therapist={therapist.pk}"
    client.post(url, {"add_hours": "1", "weekday": 2, "starts": "09:00", "ends": "13:00"})
    overlapping = client.post(
        url, {"add_hours": "1", "weekday": 2, "starts": "12:00", "ends": "15:00", "note": "x"}
    )
    assert overlapping.status_code == 400
    assert overlapping.context["hours_form"].errors["starts"] == [
        "These hours overlap hours already set that day."
    ]
    assert 'value="15:00"' in overlapping.content.decode()  # as typed
    wednesday = _next(clinic_a, 2)
    client.post(
        url,
        {"add_exception": "1", "first_day": wednesday, "last_day": wednesday, "note": "Course"},
    )
    page = client.get(url).content.decode()
    assert "Wednesday 09:00–13:00" in page and "Course" in page
    assert WorkingHours.objects.get().therapist == therapist
    leave = WorkingHoursException.objects.get()
    assert leave.is_leave and leave.first_day == wednesday

    def book(day):
        return appointment_book(
            patient=PatientFactory(clinic=clinic_a),
            therapist=therapist,
            starts_at=dt.datetime.combine(day, dt.time(10), tzinfo=clinic_a.zone),
            duration_minutes=45,
            actor=manager,
        )

    with pytest.raises(ValidationError):
        book(wednesday)  # on leave
    assert book(wednesday + dt.timedelta(days=7)).pk  # the next Wednesday, within hours
    client.post(url, {"remove_exception": leave.pk})
    assert not WorkingHoursException.objects.exists()


def test_only_managers_set_hours(client, clinic_a, front_desk, therapist):
    client.force_login(front_desk)
    assert client.get(reverse("working_hours")).status_code == 403
    with pytest.raises(PermissionDenied):
        working_hours_add(
            clinic=clinic_a,
            therapist=therapist,
            weekday=0,
            starts=dt.time(9),
            ends=dt.time(17),
            actor=front_desk,
        )


def test_a_changed_day_replaces_the_weekly_hours(clinic_a, manager, therapist):
    monday = _next(clinic_a, 0)
    working_hours_add(
        clinic=clinic_a,
        therapist=therapist,
        weekday=0,
        starts=dt.time(9),
        ends=dt.time(17),
        actor=manager,
    )
    hours_exception_add(
        clinic=clinic_a,
        therapist=therapist,
        first_day=monday,
        last_day=monday,
        starts=dt.time(14),
        ends=dt.time(20),
        actor=manager,
    )
    with pytest.raises(ValidationError) as refused:
        hours_exception_add(
            clinic=clinic_a,
            therapist=therapist,
            first_day=monday,
            last_day=monday,
            starts=dt.time(14),
            actor=manager,
        )
    assert "ends" in refused.value.message_dict
    after = dt.datetime.combine(monday, dt.time(0), tzinfo=clinic_a.zone)
    slots = free_slots(
        clinic=clinic_a, therapist_id=therapist.pk, duration_minutes=60, after=after, days=0
    )
    assert slots[0] == dt.datetime.combine(monday, dt.time(14), tzinfo=clinic_a.zone)
