"""Front desk registers a walk-in on a 1024x768 tablet: the duplicate warning once, the
phone corrected, and an intake link copied to pass on."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from patients.models import IntakeInvitation, Patient
from tests.factories import PatientFactory

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_front_desk_registers_a_walk_in(page, live_server, clinic_a, front_desk):
    twin = PatientFactory(
        clinic=clinic_a, first_name="José", last_name="Núñez", date_of_birth=dt.date(1975, 3, 9)
    )
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.set_viewport_size({"width": 1024, "height": 768})
    sign_in(page, live_server, "bob")
    page.goto(f"{live_server.url}/patients/")
    page.get_by_role("link", name="Register a patient").click()

    page.get_by_label("First name").fill("Jose")
    page.get_by_label("Last name").fill("NUNEZ")
    page.get_by_label("Date of birth").fill("1975-03-09")
    page.get_by_label("Mobile phone").fill("416 555 0142")
    page.locator("#id_email").fill("jose.walkin@example.com")
    page.get_by_label("Agrees to text-message reminders").check()
    page.get_by_label("Preferred reminder channel").select_option("sms")
    page.locator("#id_emergency_contact_name").fill("Ana Núñez")
    page.get_by_role("button", name="Register").click()

    warning = page.locator("#duplicates")
    expect(warning).to_contain_text("This may be a patient already registered")
    expect(warning.get_by_role("link", name="Núñez, José")).to_have_attribute(
        "href", f"/patients/{twin.pk}/"
    )
    expect(page.get_by_label("Mobile phone")).to_have_value("416 555 0142")  # kept as typed
    page.screenshot(path="test-results/patient-registration-duplicate.png", full_page=True)
    page.get_by_label("This is someone else: register anyway").check()
    page.get_by_role("button", name="Register").click()

    expect(page.get_by_text("Jose NUNEZ is registered.")).to_be_visible()
    expect(page.locator("#duplicates")).to_have_count(0)
    walk_in = Patient.objects.get(email="jose.walkin@example.com")
    assert page.url.endswith(f"/patients/{walk_in.pk}/")

    page.get_by_role("link", name="Edit details").click()
    page.get_by_label("Mobile phone").fill("647 555 0199")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("The patient's details are saved.")).to_be_visible()
    expect(page.locator(".patient-record")).to_contain_text("647 555 0199")
    page.screenshot(path="test-results/patient-chart-record.png", full_page=True)
    walk_in.refresh_from_db()
    assert walk_in.phone == "647 555 0199"

    page.get_by_role("button", name="Copy intake link").click()
    link = page.get_by_label("Intake link").input_value()
    assert link.startswith(f"{live_server.url}/intake/")
    page.get_by_role("button", name="Copy", exact=True).click()
    expect(page.locator("#copy-status")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == link
    page.screenshot(path="test-results/patient-intake-link.png", full_page=True)
    assert IntakeInvitation.objects.get(patient=walk_in).used_at is None
    page.goto(link)
    expect(page.locator("h1")).to_be_visible()
    assert "/intake/" in page.url
