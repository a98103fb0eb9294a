"""The book's pages and API: the day view's fixed query count at 10 therapists x 30
appointments, booking from a free slot (a refusal comes back on the form, as typed), moving,
the status buttons, the week view, the home page's "Today", and the API's per-field 400s."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic.models import Role
from scheduling.appointments import appointment_book
from scheduling.models import Appointment, WorkingHours
from tests.conftest import _member
from tests.factories import AppointmentFactory, PatientFactory

pytestmark = pytest.mark.django_db

THERAPISTS, PER_THERAPIST = 10, 30
DAY_VIEW_QUERIES = 11


def _local(clinic, days: int, hour: int, minute: int = 0) -> dt.datetime:
    day = timezone.localdate(timezone.now(), clinic.zone) + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=clinic.zone)


def _busy_day(clinic, therapists, day_offset: int, per_therapist: int) -> None:
    patients = [PatientFactory(clinic=clinic) for _ in range(5)]
    weekday = _local(clinic, day_offset, 8).weekday()
    rows = []
    for t, therapist in enumerate(therapists):
        WorkingHours.objects.create(
            clinic=clinic, therapist=therapist, weekday=weekday, starts="08:00", ends="17:00"
        )
        for n in range(per_therapist):
            starts = _local(clinic, day_offset, 8) + dt.timedelta(minutes=15 * n)
            rows.append(
                AppointmentFactory.build(
                    clinic=clinic,
                    patient=patients[(t + n) % 5],
                    therapist=therapist,
                    starts_at=starts,
                    ends_at=starts + dt.timedelta(minutes=15),
                    status="no_show" if n % 7 == 3 else "booked",
                )
            )
    Appointment.objects.bulk_create(rows)


def _day_view_queries(client, clinic, django_assert_max_num_queries) -> int:
    day = _local(clinic, 2, 8).date().isoformat()
    client.get(reverse("book_day"))  # the session's first save is not the page's
    with django_assert_max_num_queries(DAY_VIEW_QUERIES) as captured:
        response = client.get(reverse("book_day"), {"date": day})
    assert response.status_code == 200
    return len(captured), response


def test_the_day_view_runs_a_fixed_number_of_queries_for_ten_therapists_of_thirty(
    client, clinic_a, front_desk, django_assert_max_num_queries
):
    therapists = [_member(clinic_a, Role.THERAPIST, f"therapist{n}") for n in range(THERAPISTS)]
    client.force_login(front_desk)
    _busy_day(clinic_a, therapists[:1], 2, 2)
    small, _ = _day_view_queries(client, clinic_a, django_assert_max_num_queries)
    WorkingHours.objects.all().delete()
    Appointment.objects.all().delete()
    _busy_day(clinic_a, therapists, 2, PER_THERAPIST)
    busy, response = _day_view_queries(client, clinic_a, django_assert_max_num_queries)
    assert busy == small
    page = response.content.decode()
    # Every booked one is a block in its column; the no-shows are listed below the grid.
    no_shows = len([n for n in range(PER_THERAPIST) if n % 7 == 3])
    booked = THERAPISTS * (PER_THERAPIST - no_shows)
    assert page.count('class="appointment appointment-booked"') == booked
    assert len(response.context["grid"].off_the_grid) == THERAPISTS * no_shows


def test_a_free_slot_opens_the_booking_form_and_a_refusal_comes_back_as_typed(
    client, clinic_a, therapist, front_desk, patient
):
    client.force_login(front_desk)
    at = _local(clinic_a, 3, 10)
    day = client.get(reverse("book_day"), {"date": at.date().isoformat()}).content.decode()
    slot = f"?therapist={therapist.pk}&amp;starts_at={at.strftime('%Y-%m-%dT%H:%M')}"
    assert slot in day
    appointment_book(
        patient=PatientFactory(clinic=clinic_a),
        therapist=therapist,
        starts_at=at,
        duration_minutes=45,
        actor=front_desk,
    )
    url = f"{reverse('appointment_new')}?patient={patient.pk}&therapist={therapist.pk}"
    response = client.post(
        url,
        {
            "therapist": therapist.pk,
            "starts_at": (at + dt.timedelta(minutes=15)).strftime("%Y-%m-%dT%H:%M"),
            "duration": 30,
            "kind": "treatment",
            "note": "walk-in, typed",
        },
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["starts_at"] == ["The therapist is already booked from 10:00 to 10:45."]
    assert 'value="walk-in, typed"' in response.content.decode()
    response = client.post(
        url,
        {
            "therapist": therapist.pk,
            "starts_at": (at + dt.timedelta(minutes=45)).strftime("%Y-%m-%dT%H:%M"),
            "duration": 30,
            "kind": "treatment",
        },
    )
    booked = Appointment.objects.get(patient=patient)
    assert response.url == reverse("appointment_detail", args=[booked.pk])
    assert booked.starts_at == at + dt.timedelta(minutes=45)


def test_the_move_form_and_the_status_buttons(client, clinic_a, therapist, front_desk, patient):
    booked = appointment_book(
        patient=patient,
        therapist=therapist,
        starts_at=_local(clinic_a, 3, 10),
        duration_minutes=45,
        actor=front_desk,
    )
    client.force_login(front_desk)
    past = client.post(
        reverse("appointment_move", args=[booked.pk]),
        {"starts_at": _local(clinic_a, -1, 10).strftime("%Y-%m-%dT%H:%M")},
    )
    assert past.status_code == 400
    assert past.context["move_form"].errors["starts_at"] == ["Choose a time in the future."]
    client.post(
        reverse("appointment_move", args=[booked.pk]),
        {"starts_at": _local(clinic_a, 4, 11).strftime("%Y-%m-%dT%H:%M")},
    )
    booked.refresh_from_db()
    assert (booked.starts_at, booked.duration_minutes) == (_local(clinic_a, 4, 11), 45)
    client.post(reverse("appointment_status", args=[booked.pk]), {"status": "arrived"})
    client.post(
        reverse("appointment_status", args=[booked.pk]),
        {"status": "cancelled", "reason": "felt unwell"},
    )
    booked.refresh_from_db()
    assert (booked.status, booked.cancel_reason, booked.cancelled_by) == (
        "cancelled",
        "felt unwell",
        front_desk,
    )


def test_the_week_view_shows_one_therapists_days(client, clinic_a, therapist, front_desk, patient):
    at = _local(clinic_a, 3, 10)
    appointment_book(
        patient=patient, therapist=therapist, starts_at=at, duration_minutes=45, actor=front_desk
    )
    client.force_login(front_desk)
    response = client.get(
        reverse("book_week"), {"therapist": therapist.pk, "date": at.date().isoformat()}
    )
    assert response.status_code == 200
    assert len(response.context["grid"].columns) == 7
    assert patient.full_name in response.content.decode()
    assert client.get(reverse("book_week"), {"therapist": 999999}).status_code == 404


def test_the_home_page_says_who_is_expected_arrived_and_done_today(
    client, clinic_a, therapist, front_desk, patient
):
    now = timezone.now()
    for status, minutes in (("booked", 60), ("arrived", 0), ("completed", -120)):
        starts = now + dt.timedelta(minutes=minutes)
        if timezone.localdate(starts, clinic_a.zone) == timezone.localdate(now, clinic_a.zone):
            AppointmentFactory(
                patient=patient,
                therapist=therapist,
                starts_at=starts,
                ends_at=starts + dt.timedelta(minutes=30),
                status=status,
            )
    client.force_login(front_desk)
    page = client.get("/").content.decode()
    assert "Today on the book" in page
    expected = Appointment.objects.filter(status="booked").count()
    assert f'data-count="booked">{expected}<' in page


def test_the_api_books_moves_and_answers_400_on_the_field(
    client, clinic_a, therapist, front_desk, patient
):
    client.force_login(front_desk)
    at = _local(clinic_a, 3, 10)
    created = client.post(
        "/api/v1/appointments/",
        {"patient": patient.pk, "therapist": therapist.pk, "starts_at": at.isoformat()},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["duration_minutes"] == 45
    again = client.post(
        "/api/v1/appointments/",
        {"patient": patient.pk, "therapist": therapist.pk, "starts_at": at.isoformat()},
        content_type="application/json",
    )
    assert again.status_code == 400
    assert again.json() == {"starts_at": ["The therapist is already booked from 10:00 to 10:45."]}
    pk = created.json()["id"]
    moved = client.post(
        f"/api/v1/appointments/{pk}/move/",
        {"starts_at": (at + dt.timedelta(hours=2)).isoformat()},
        content_type="application/json",
    )
    assert moved.status_code == 200, moved.content
    past = client.post(
        f"/api/v1/appointments/{pk}/move/",
        {"starts_at": "2001-01-01T10:00:00Z"},
        content_type="application/json",
    )
    assert past.json() == {"starts_at": ["Choose a time in the future."]}
    status = client.post(
        f"/api/v1/appointments/{pk}/status/",
        {"status": "cancelled", "reason": "moved away"},
        content_type="application/json",
    )
    assert status.json()["status"] == "cancelled"


def test_the_booking_form_offers_the_therapists_next_free_times(
    client, clinic_a, therapist, front_desk, patient
):
    day = _local(clinic_a, 3, 9)
    WorkingHours.objects.create(
        clinic=clinic_a, therapist=therapist, weekday=day.weekday(), starts="09:00", ends="11:00"
    )
    appointment_book(
        patient=PatientFactory(clinic=clinic_a),
        therapist=therapist,
        starts_at=day,
        duration_minutes=60,
        actor=front_desk,
    )
    client.force_login(front_desk)
    response = client.get(
        reverse("appointment_new"), {"patient": patient.pk, "therapist": therapist.pk}
    )
    free = response.context["free_times"]
    assert free[:2] == [_local(clinic_a, 3, 10), _local(clinic_a, 3, 10, 15)]
    assert "starts_at=" + day.strftime("%Y-%m-%d") + "T10%3A00" in response.content.decode()
