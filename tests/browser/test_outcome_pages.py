"""The outcome pages as therapists and managers use them: the dashboard answers a reversed
period next to its inputs, and the patient's therapist opens the progress report with PSFS,
trigger points and the check-in curve."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from patients.models import FunctionalScore
from tests.factories import PainScoreFactory, TreatmentSessionFactory, TriggerPointFactory

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTEFACTS = Path(__file__).resolve().parents[2] / "test-results"


@pytest.fixture
def course(patient, therapist):
    started = timezone.now() - dt.timedelta(days=6)
    session = TreatmentSessionFactory(patient=patient, therapist=therapist, started_at=started)
    TriggerPointFactory(session=session, tenderness=8)
    for hours, source, score in (
        (0, "pre_session", 7),
        (1, "post_session", 5),
        (30, "check_in", 3),
    ):
        PainScoreFactory(
            patient=patient,
            session=session,
            source=source,
            score=score,
            recorded_at=started + dt.timedelta(hours=hours),
        )
    FunctionalScore.objects.create(
        patient=patient,
        recorded_at=started,
        source="pre_session",
        item=1,
        activity="Carrying groceries",
        score=4,
    )
    return session


@pytest.mark.parametrize("width", [1366, 1024])
def test_a_reversed_period_is_answered_next_to_the_dates(page, live_server, manager, course, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, "carol")
    page.goto(f"{live_server.url}/dashboard/")
    dashboard = page.locator("#dashboard")
    expect(dashboard).to_have_attribute("data-state", "ready")
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"dashboard-{width}.png"), full_page=True)

    page.get_by_label("From", exact=True).fill("2026-06-01")
    page.get_by_label("To", exact=True).fill("2026-05-01")

    expect(dashboard).to_have_attribute("data-state", "invalid")
    message = page.locator("#error-date_from")
    expect(message).to_be_visible()
    expect(message).to_have_text(
        "The period starts after it ends: pick a start on or before the end."
    )
    expect(page.get_by_label("From", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#dash-error")).to_be_hidden()  # not "could not be loaded"
    page.locator("#filters").screenshot(path=str(ARTEFACTS / f"dashboard-period-{width}.png"))

    page.get_by_label("From", exact=True).fill("2026-04-01")

    expect(dashboard).to_have_attribute("data-state", "ready")
    expect(message).to_be_hidden()
    expect(page.get_by_label("From", exact=True)).to_have_attribute("aria-invalid", "false")


def test_the_patients_therapist_opens_the_progress_report_from_the_chart(
    page, live_server, therapist, patient, course
):
    page.set_viewport_size({"width": 1024, "height": 768})
    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.get_by_role("link", name="Progress report").click()

    expect(page.locator("#progress")).to_have_attribute("data-state", "ready")
    expect(page.get_by_role("heading", level=1)).to_contain_text(patient.full_name)
    expect(page.locator("#chart-pain")).to_have_attribute(
        "data-points", "2"
    )  # right after: left out
    expect(page.locator("#psfs")).to_contain_text("Carrying groceries")
    expect(page.locator("#trigger-points")).to_contain_text("Upper trapezius")
    curve = page.locator("#check-in-curve tbody tr")
    expect(curve).to_have_count(1)
    expect(curve.locator("td")).to_have_text(
        [re.compile(r"\d{4}"), "Neck (back) — Patient's right", "7", "5", "3"]
    )
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "progress-report-therapist-1024.png"), full_page=True)
