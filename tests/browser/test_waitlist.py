"""The waitlist end to end on a phone (390×844): front desk puts Ana on the waitlist; Leo cancels
his appointment from his reminder's link; the freed slot is offered to Ana, who takes it from
the link in her message."""

import datetime as dt
import re
import zoneinfo

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from scheduling import reminders
from scheduling.appointments import appointment_book
from scheduling.models import Appointment, Reminder, WaitlistOffer
from tests.factories import PatientFactory

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ZONE = zoneinfo.ZoneInfo("America/Toronto")  # the factories' clinic's
PHONE = {"width": 390, "height": 844}


def _send(row: Reminder) -> str:
    """What the worker does with a claimed row; returns the link in the message."""
    lease = "00000000-0000-4000-8000-000000000003"
    Reminder.objects.filter(pk=row.pk).update(status="sending", lease=lease)
    assert reminders.reminder_send(reminder_id=row.pk, lease=lease) == "sent"
    return re.search(r"http\S+", mail.outbox[-1].body).group(0)


def test_a_cancelled_slot_goes_to_the_waitlisted_patient_who_takes_it_on_a_phone(
    page, live_server, settings, clinic_a, therapist, front_desk
):
    settings.SITE_URL = live_server.url
    policy = reminders.policy_for(clinic_a)
    policy.quiet_hours_start = policy.quiet_hours_end = dt.time(0)
    policy.save()
    day = timezone.localdate(timezone.now(), ZONE) + dt.timedelta(days=3)
    slot = dt.datetime.combine(day, dt.time(15, 0), tzinfo=ZONE)
    leo = PatientFactory(
        clinic=clinic_a, first_name="Leo", email="leo@example.com", consents_to_email=True
    )
    PatientFactory(
        clinic=clinic_a,
        first_name="Ana",
        last_name="Reyes",
        email="ana@example.com",
        consents_to_email=True,
    )
    booked = appointment_book(
        patient=leo, therapist=therapist, starts_at=slot, duration_minutes=45, actor=front_desk
    )
    page.set_viewport_size(PHONE)

    # Front desk, on the phone: Ana wants an earlier slot, any weekday afternoon.
    sign_in(page, live_server, "bob")
    page.get_by_role("link", name="Waitlist").click()
    page.get_by_role("link", name="Add to the waitlist").click()
    page.get_by_label("Patient's name").fill("Reyes")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("link", name="Reyes, Ana").click()
    for weekday in ("Saturday", "Sunday"):
        page.get_by_label(weekday).check()
    page.get_by_label("Morning").uncheck()
    page.get_by_label("Evening").uncheck()
    page.get_by_label("Until").fill((day + dt.timedelta(days=7)).isoformat())
    page.get_by_role("button", name="Add to the waitlist").click()
    expect(page.get_by_text("Ana Reyes is on the waitlist.")).to_be_visible()
    expect(page.get_by_role("cell", name="Reyes, Ana")).to_be_visible()
    page.context.clear_cookies()

    # Leo cancels from his reminder.
    page.goto(_send(booked.reminders.get(kind="before_48h")))
    page.get_by_role("button", name="Cancel the appointment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancelled")

    # The freed slot is offered to Ana by email; she takes it from the link.
    offer = WaitlistOffer.objects.get()
    link = _send(offer.reminders.get(kind="slot_offer"))
    assert mail.outbox[-1].to == ["ana@example.com"]
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("An earlier appointment")
    expect(page.locator(".offer-when")).to_contain_text("15:00")
    page.screenshot(path="test-results/waitlist-offer-390.png", full_page=True)
    page.get_by_role("button", name="Take this appointment").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("It is yours")
    page.screenshot(path="test-results/waitlist-taken-390.png", full_page=True)
    mine = Appointment.objects.get(patient__first_name="Ana")
    assert (mine.starts_at, mine.therapist, mine.status) == (slot, therapist, "booked")
    # The same link again says so, and books nothing more.
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("It is yours")
    assert Appointment.objects.filter(patient__first_name="Ana").count() == 1
