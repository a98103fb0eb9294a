"""Application logs never carry health data: drive the main flows and read every log line."""

import logging

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from demo.catalogue import DEMO_PASSWORD
from patients.models import Patient

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SECRET_NOTE = "Zebrafinch-neck-story"
LINK_TOKENS = ("IntakeTokenQx7", "CheckInTokenQx8", "ReplyTokenQx9")


def test_driving_the_staff_flows_logs_no_names_notes_or_scores(page, live_server, caplog, settings):
    settings.LINK_GUESS_LIMIT = 2
    call_command("seed_demo", "--patients", "4", "--quiet", verbosity=0)
    patient = Patient.objects.filter(clinic__slug="harbour-street").order_by("pk").first()
    caplog.set_level(logging.DEBUG)

    sign_in(page, live_server, "therapist", "a-wrong-password")
    sign_in(page, live_server, "therapist", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/patients/?q={patient.last_name}")
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.get_by_role("link", name="Record a session").click()
    page.get_by_role("button", name="Start a new session").click()
    page.get_by_label("Subjective — what the patient reports").fill(SECRET_NOTE)
    page.locator('[data-add-pain="pre_session"]').click()
    page.locator('tbody[data-pain-source="pre_session"] tr').last.get_by_label("Pain 0-10").fill(
        "11"
    )  # refused: a 400 is logged, its body must not be
    expect(page.locator("#save-status")).to_contain_text("correct the highlighted fields")
    page.goto(f"{live_server.url}/patients/999999/")  # a 404 is logged too
    # Patient links with unknown tokens: 404, then 429 past the guess limit.
    for route, token in zip(("intake", "check-in", "follow-ups/reply"), LINK_TOKENS, strict=True):
        page.goto(f"{live_server.url}/{route}/{token}/")

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Bad Request" in logged and "Not Found" in logged  # the logs were captured
    assert "Too Many Requests: /follow-ups/reply/[redacted]/" in logged
    for secret in (
        patient.first_name,
        patient.last_name,
        patient.email,
        SECRET_NOTE,
        "11",
        *LINK_TOKENS,
    ):
        assert secret not in logged, f"{secret!r} appeared in the logs"
