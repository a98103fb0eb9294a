"""The small things a clinic notices (issue 15, defect 10), each at the viewport where it was
seen: the clinic's own error pages and icon, intakes without a name, a patient's own sides, a
code used twice, and why an anticoagulant was flagged."""

import re

import pyotp
import pytest
from django.test import Client
from playwright.sync_api import expect

from clinic.audit import audit_record
from clinic.models import TOTPDevice
from patients.models import IntakeSubmission
from sessions.check_ins import check_in_issue
from tests.factories import PainScoreFactory, TreatmentSessionFactory
from tests.patients.intake_helpers import fill, invite, submit, valid_steps

from .conftest import authenticator_code, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_wrong_address_gets_the_clinics_own_page_with_the_way_home(
    page, live_server, therapist, viewport
):
    page.set_viewport_size(viewport)
    sign_in(page, live_server, "alice")
    answer = page.goto(f"{live_server.url}/patients/999999/")
    assert answer.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    page.get_by_role("link", name="Go to the home page").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")


def test_a_page_for_another_role_says_so_in_the_clinics_words(page, live_server, therapist):
    sign_in(page, live_server, "alice")
    answer = page.goto(f"{live_server.url}/dashboard/")
    assert answer.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Not available to your role")


def test_every_page_has_the_clinics_icon(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    icon = page.locator('link[rel="icon"]').get_attribute("href")
    answer = page.request.get(f"{live_server.url}{icon}")
    assert answer.ok and answer.headers["content-type"].startswith("image/svg+xml")


def test_an_intake_without_a_name_is_listed_by_its_email_or_as_not_given(
    page, live_server, clinic_a, front_desk
):
    for day, personal in ((2, {"email": "jo@example.com"}), (1, {})):
        IntakeSubmission.objects.create(
            clinic=clinic_a,
            status="submitted",
            submitted_at=f"2026-11-0{day}T10:00Z",
            consent_to_treatment=True,
            signed_at=f"2026-11-0{day}T10:00Z",
            signature_name="(signed)",
            answers={"personal": personal},
        )
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server, "bob")
    page.goto(f"{live_server.url}/intakes/")
    names = page.locator(".intake-queue tbody tr td:nth-child(2)")
    expect(names).to_have_text(["jo@example.com", "Name not given yet"])
    expect(page.locator(".intake-queue")).not_to_contain_text("None")


def test_a_patient_reads_right_and_left_on_the_pain_map_and_the_check_in(
    page, live_server, clinic_a, front_desk, patient, therapist
):
    token = invite(clinic=clinic_a, by=front_desk)
    fill(Client(), token, steps=range(1, 5))
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/intake/{token}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Where it hurts")
    expect(page.locator("#pain-map .body-chart__sides").first.locator("span")).to_have_text(
        ["Right", "Left"]
    )
    expect(page.locator("#pain-map [aria-label='Shoulder, Left']").first).to_be_attached()
    assert "Patient's" not in page.content()

    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    PainScoreFactory(patient=patient, session=session, region="shoulder", side="right")
    _check_in, link = check_in_issue(session=session, actor_label="system")
    page.goto(f"{live_server.url}/check-in/{link}/")
    expect(page.get_by_label("Shoulder, Right")).to_be_visible()
    assert "Patient's" not in page.content()


def test_a_code_already_used_in_this_half_minute_says_to_wait_for_the_next(
    page, live_server, therapist
):
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server, "alice")
    page.get_by_role("button", name="Sign out").click()
    device = TOTPDevice.objects.get(user=therapist)
    used = pyotp.TOTP(device.secret).at(device.last_step * 30)

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("6-digit code from the app").fill(used)
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("alert")).to_have_text(
        "This code was just used; wait for the next one."
    )
    page.get_by_label("6-digit code from the app").fill(authenticator_code("alice"))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")


def test_the_review_page_says_why_an_anticoagulant_was_flagged_after_a_no(
    page, live_server, clinic_a, front_desk, therapist
):
    token = invite(clinic=clinic_a, by=front_desk)
    patient_side = Client()
    fill(patient_side, token)
    medicines = {**valid_steps()[4], "takes_anticoagulants": "no", "anticoagulant_details": ""}
    patient_side.post(f"/intake/{token}/", {"step": 4, **medicines})
    submit(patient_side, token)
    intake = IntakeSubmission.objects.get()

    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/intakes/{intake.pk}/")
    flag = page.locator(".red-flags li", has_text="Anticoagulants")
    expect(flag).to_contain_text("apixaban", ignore_case=True)
    expect(flag.locator(".flag-why")).to_have_text(
        "The patient answered “no” to blood thinners or a bleeding disorder, but the medication"
        " list names Apixaban: check with the patient."
    )


def test_the_audit_page_names_the_patient_and_the_record_for_a_manager(
    page, live_server, manager, therapist, patient
):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    audit_record(action="read", actor=therapist, obj=session, patient=patient)
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server, "carol")
    page.goto(f"{live_server.url}/audit/?action=read&username=alice")
    row = page.locator(".audit-events tbody tr").first
    expect(row.locator("td")).to_have_text(
        [
            re.compile(r"\d{4}-"),
            f"{therapist.get_full_name()} (alice)",
            "Read",
            "Treatment session",
            "Pat Example",
            re.compile(".*"),
        ]
    )
    row.get_by_role("link", name="Pat Example").click()
    expect(page.locator(".audit-events tbody tr")).not_to_have_count(0)
    assert f"patient={patient.pk}" in page.url
