"""Trigger-point trends in a real browser: the chart of a demo patient measured with an
algometer shows the PPT trend beside the reference site and each point's forecast, on a tablet
and a phone; on the recording page a point placed on the map is answered with its forecast and
a ticked perpetuating factor says it loads the muscle, saved with the draft."""

from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from demo.catalogue import DEMO_PASSWORD
from patients.models import Patient
from sessions.models import SessionFactor

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTEFACTS = Path(__file__).resolve().parents[2] / "test-results"


@pytest.fixture
def measured_patient(transactional_db):
    call_command("seed_demo", "--patients", "30", "--quiet", verbosity=0)
    # A patient of the therapist's whose points were measured with the algometer.
    return (
        Patient.objects.filter(
            clinic__slug="harbour-street",
            sessions__therapist__username="therapist",
            sessions__reference_thresholds__isnull=False,
        )
        .distinct()
        .order_by("pk")
        .first()
    )


@pytest.mark.parametrize("size", [(1024, 768), (390, 844)])
def test_the_chart_shows_the_ppt_trend_and_the_forecast(page, live_server, measured_patient, size):
    assert measured_patient is not None, "the demo has patients measured with an algometer"
    page.set_viewport_size({"width": size[0], "height": size[1]})
    sign_in(page, live_server, "therapist", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/patients/{measured_patient.pk}/")

    trend = page.locator("#ppt-trend")
    expect(trend.get_by_role("heading", name="Pressure-pain threshold")).to_be_visible()
    # The chosen muscle's sides and the deltoid reference site are drawn.
    chart = page.locator("#ppt-chart")
    expect(chart).to_be_visible()
    assert int(chart.get_attribute("data-series")) >= 2
    expect(trend).to_contain_text("minimal detectable change of 0.6")
    expect(page.locator("#ppt-latest tbody tr").first).to_be_visible()

    forecast = page.locator("#release-forecast")
    expect(forecast).to_contain_text("Kaplan-Meier")
    expect(forecast.locator("tbody tr").first).to_contain_text("median")
    expect(page.locator("#perpetuating-factors li").first).to_be_visible()
    # Nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0] + 1
    ARTEFACTS.mkdir(exist_ok=True)
    page.locator("#ppt-trend").screenshot(path=str(ARTEFACTS / f"ppt-trend-{size[0]}.png"))


def test_a_point_placed_is_answered_with_its_forecast_and_the_factor_loading_it(
    page, live_server, measured_patient
):
    page.set_viewport_size({"width": 1024, "height": 768})
    sign_in(page, live_server, "therapist", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/patients/{measured_patient.pk}/")
    page.get_by_role("link", name="Record a session").click()
    page.get_by_role("button", name="Start a new session").click()
    expect(page.locator("#session-form[data-ready]")).to_have_count(1)
    session_id = int(page.url.rstrip("/").split("/")[-1])

    page.locator('svg[data-view="back"] .region[data-muscle="upper-trapezius"]').first.click()
    point = page.locator(".point").last
    point.get_by_label("Muscle").select_option("upper-trapezius")
    point.get_by_label("Side").select_option("right")
    insight = point.locator(".point-insight")
    expect(insight).to_contain_text("Sessions to release")
    page.locator("#factors").get_by_label("Forward head posture").check()
    expect(insight).to_contain_text("Kept loaded by: Forward head posture")
    page.get_by_label("Deltoid, Patient's right (kg/cm²)").fill("3.8")
    expect(page.locator("#save-status")).to_contain_text("Saved", timeout=20_000)

    assert list(
        SessionFactor.objects.filter(session_id=session_id).values_list("factor", flat=True)
    ) == ["forward_head"]
