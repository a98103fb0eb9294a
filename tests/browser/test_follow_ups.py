import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from scheduling.follow_ups import follow_up_create
from scheduling.models import Reminder
from tests.factories import PatientFactory

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    "viewport", [{"width": 390, "height": 844}, {"width": 1280, "height": 800}]
)
def test_front_desk_finds_a_failed_reminder_and_sends_it_again(
    page, live_server, front_desk, clinic_a, viewport
):
    patient = PatientFactory(
        clinic=clinic_a,
        first_name="Ana",
        last_name="Reyes",
        phone="+15550101",
        consents_to_sms=True,
    )
    follow_up = follow_up_create(
        patient=patient, due_at=timezone.now() + dt.timedelta(days=5), created_by=front_desk
    )
    follow_up.reminders.filter(kind="before_48h").update(
        status="failed", attempts=5, last_error="SMS provider answered 503"
    )
    page.set_viewport_size(viewport)
    sign_in(page, live_server, "bob")

    page.get_by_role("link", name="Follow-ups").click()
    page.get_by_label("Status").select_option("planned")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("Ana Reyes")).to_be_visible()
    expect(page.get_by_text("SMS provider answered 503")).to_be_visible()
    page.screenshot(path=f"test-results/follow-ups-{viewport['width']}.png", full_page=True)

    page.get_by_role("button", name="Send again").click()

    expect(page.get_by_text("The reminder will go out within a minute.")).to_be_visible()
    assert Reminder.objects.get(follow_up=follow_up, kind="before_48h").status == "pending"


def test_a_patient_confirms_the_appointment_from_the_link_on_a_phone(
    page, live_server, front_desk, clinic_a, settings
):
    from django.core import mail

    from scheduling import reminders

    settings.SITE_URL = live_server.url
    policy = reminders.policy_for(clinic_a)
    policy.quiet_hours_start = policy.quiet_hours_end = dt.time(0)
    policy.save()
    patient = PatientFactory(clinic=clinic_a, email="ana@example.com", consents_to_email=True)
    follow_up = follow_up_create(
        patient=patient, due_at=timezone.now() + dt.timedelta(days=5), created_by=front_desk
    )
    row = follow_up.reminders.get(kind="before_48h")
    lease = "00000000-0000-4000-8000-000000000002"
    Reminder.objects.filter(pk=row.pk).update(status="sending", lease=lease)
    reminders.reminder_send(reminder_id=row.pk, lease=lease)
    link = next(word for word in mail.outbox[0].body.split() if word.startswith(live_server.url))
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Harbour Street Clinic")
    page.get_by_role("button", name="I will come").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    follow_up.refresh_from_db()
    assert follow_up.status == "confirmed" and follow_up.answered_by_patient_at
