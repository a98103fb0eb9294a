"""The appointment book in Chromium at a tablet's 1024x768: front desk books a walk-in from a
free slot of the day view, moves it by dragging, and a second booking into its time is refused
with a clear message; the patient cancels from the reminder's link on a phone and the slot is
free again; a therapist starts the session from the appointment and signs it (completed); a
no-show is marked."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from scheduling import reminders
from scheduling.appointments import appointment_book
from scheduling.models import Appointment, Reminder, WorkingHours
from sessions.services import session_update
from tests.factories import AppointmentFactory, PatientFactory

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABLET = {"width": 1024, "height": 768}


def _tomorrow(clinic, hour: int, minute: int = 0) -> dt.datetime:
    day = timezone.localdate(timezone.now(), clinic.zone) + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=clinic.zone)


@pytest.fixture
def alice_works_tomorrow(clinic_a, therapist):
    therapist.first_name, therapist.last_name = "Alice", "Moreau"
    therapist.save()
    WorkingHours.objects.create(
        clinic=clinic_a,
        therapist=therapist,
        weekday=_tomorrow(clinic_a, 9).weekday(),
        starts="09:00",
        ends="17:00",
    )
    return therapist


def _slot(page, clinic, hour: int, minute: int = 0):
    when = _tomorrow(clinic, hour, minute).strftime("%a %-d %b %H:%M")
    return page.get_by_role("link", name=f"Book Alice Moreau at {when}")


def test_front_desk_books_a_walk_in_moves_it_by_dragging_and_a_double_booking_is_refused(
    page, live_server, clinic_a, front_desk, alice_works_tomorrow
):
    PatientFactory(clinic=clinic_a, first_name="Ana", last_name="Reyes")
    PatientFactory(clinic=clinic_a, first_name="Ben", last_name="Okafor")
    page.set_viewport_size(TABLET)
    sign_in(page, live_server, "bob")
    day = _tomorrow(clinic_a, 10).date().isoformat()

    page.get_by_role("link", name="Book", exact=True).click()
    page.goto(f"{live_server.url}/book/?date={day}")
    _slot(page, clinic_a, 10).click()
    page.get_by_label("Patient's name").fill("Ana")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("link", name="Reyes, Ana").click()
    expect(page.get_by_label("Date and time")).to_have_value(f"{day}T10:00")
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_text("Appointment booked; its reminders are planned.")).to_be_visible()
    booked = Appointment.objects.get(patient__first_name="Ana")
    assert booked.starts_at == _tomorrow(clinic_a, 10)

    # Drag it to 11:30 on the day view.
    page.get_by_role("link", name="← The book").click()
    block = page.locator(f"a.appointment[href='/appointments/{booked.pk}/']")
    expect(block).to_be_visible()
    page.screenshot(path="test-results/book-day-1024.png", full_page=True)
    block.drag_to(_slot(page, clinic_a, 11, 30).locator(".."))
    expect(page.locator(f"a.appointment[href='/appointments/{booked.pk}/']")).to_contain_text(
        "11:30–12:15"
    )
    booked.refresh_from_db()
    assert booked.starts_at == _tomorrow(clinic_a, 11, 30)
    expect(_slot(page, clinic_a, 10)).to_be_visible()  # the old time is free again

    # A second booking into that time: the form comes back, as typed, with the reason.
    _slot(page, clinic_a, 14).click()
    page.get_by_label("Patient's name").fill("Ben")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("link", name="Okafor, Ben").click()
    page.get_by_label("Date and time").fill(f"{day}T11:45")
    page.get_by_label("Note").fill("walk-in")
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_text("The therapist is already booked from 11:30 to 12:15.")).to_be_visible()
    expect(page.get_by_label("Note")).to_have_value("walk-in")
    assert not Appointment.objects.filter(patient__first_name="Ben").exists()


def test_the_patient_cancels_from_the_reminder_link_and_the_slot_is_free_again(
    page, live_server, clinic_a, front_desk, alice_works_tomorrow, settings
):
    settings.SITE_URL = live_server.url
    policy = reminders.policy_for(clinic_a)
    policy.quiet_hours_start = policy.quiet_hours_end = dt.time(0)
    policy.save()
    patient = PatientFactory(
        clinic=clinic_a, first_name="Ana", email="ana@example.com", consents_to_email=True
    )
    booked = appointment_book(
        patient=patient,
        therapist=alice_works_tomorrow,
        starts_at=_tomorrow(clinic_a, 15),
        duration_minutes=45,
        actor=front_desk,
    )
    row = booked.reminders.get(kind="before_2h")
    lease = "00000000-0000-4000-8000-000000000003"
    Reminder.objects.filter(pk=row.pk).update(status="sending", lease=lease)
    assert reminders.reminder_send(reminder_id=row.pk, lease=lease) == "sent"
    link = next(word for word in mail.outbox[0].body.split() if word.startswith(live_server.url))

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(link)
    page.get_by_role("button", name="Cancel the appointment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancelled")
    booked.refresh_from_db()
    assert (booked.status, booked.cancelled_by_patient) == ("cancelled", True)

    page.set_viewport_size(TABLET)
    sign_in(page, live_server, "bob")
    page.goto(f"{live_server.url}/book/?date={_tomorrow(clinic_a, 15).date().isoformat()}")
    expect(_slot(page, clinic_a, 15)).to_be_visible()
    expect(page.get_by_text("Cancelled and no-shows")).to_be_visible()


def test_a_therapist_starts_the_session_from_the_appointment_and_signing_completes_it(
    page, live_server, clinic_a, front_desk, alice_works_tomorrow
):
    patient = PatientFactory(clinic=clinic_a, first_name="Ana", last_name="Reyes")
    booked = appointment_book(
        patient=patient,
        therapist=alice_works_tomorrow,
        starts_at=_tomorrow(clinic_a, 9),
        duration_minutes=45,
        actor=front_desk,
    )
    page.set_viewport_size(TABLET)
    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/appointments/{booked.pk}/")
    page.get_by_role("button", name="Start the session").click()
    page.wait_for_url("**/sessions/*/")
    booked.refresh_from_db()
    assert booked.status == "in_treatment" and booked.session_id
    # The clinic's minimum for signing: the pain before and a SOAP field, saved as typed.
    session_update(
        session=booked.session,
        user=alice_works_tomorrow,
        fields={"subjective": "Neck stiff after a long week."},
        pain=[{"source": "pre_session", "region": "neck_back", "side": "right", "score": 6}],
    )
    page.reload()
    acknowledge = page.get_by_label("I have read the red flags and adapted the treatment to them.")
    if acknowledge.count():
        acknowledge.check()
    page.get_by_role("button", name="Sign and lock").click()
    expect(page.get_by_text("Signed. The note is now locked")).to_be_visible()
    booked.refresh_from_db()
    assert booked.status == "completed"
    page.goto(f"{live_server.url}/appointments/{booked.pk}/")
    expect(page.locator("#appointment-status")).to_have_text("Completed")


def test_front_desk_marks_a_no_show(page, live_server, clinic_a, front_desk, therapist):
    started = timezone.now() - dt.timedelta(minutes=20)
    missed = AppointmentFactory(
        patient=PatientFactory(clinic=clinic_a, first_name="Ana", last_name="Reyes"),
        therapist=therapist,
        starts_at=started,
        ends_at=started + dt.timedelta(minutes=45),
    )
    page.set_viewport_size(TABLET)
    sign_in(page, live_server, "bob")
    page.goto(f"{live_server.url}/appointments/{missed.pk}/")
    page.get_by_role("button", name="No-show").click()
    expect(page.get_by_text("The appointment is now no-show.")).to_be_visible()
    expect(page.locator("#appointment-status")).to_have_text("No-show")
    missed.refresh_from_db()
    assert missed.status == "no_show"
