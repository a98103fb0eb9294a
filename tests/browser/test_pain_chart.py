"""One pain-chart renderer (static/js/pain_chart.js) on the patient chart and the printable
progress report: regions and sides by name on both, and every chart's colours from app.css's
custom properties, so a change of theme reaches them all."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sessions.models import MobilityMeasurement, Movement
from tests.factories import PainScoreFactory, PatientFactory, TreatmentSessionFactory

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DAY = dt.timedelta(days=1)
THEME = (
    ":root { --chart-1: #123456; --chart-2: #654321; --chart-3: #abcdef; --chart-faint: #fedcba; }"
)


def _datasets(page, canvas_id):
    return page.evaluate(
        """(id) => Chart.getChart(document.getElementById(id)).data.datasets.map(
               (d) => ({label: d.label, colour: d.borderColor, points: d.data.length}))""",
        canvas_id,
    )


@pytest.fixture
def course(clinic_a, therapist):
    person = PatientFactory(clinic=clinic_a)
    now = timezone.now()
    PainScoreFactory(
        patient=person,
        source="intake",
        region="neck_back",
        side="left",
        score=7,
        recorded_at=now - 20 * DAY,
    )
    session = TreatmentSessionFactory(patient=person, therapist=therapist, started_at=now - 9 * DAY)
    after = session.started_at + dt.timedelta(hours=1)
    for source, region, side, score, at in (
        ("pre_session", "neck_back", "left", 6, session.started_at),
        ("pre_session", "lower_back", "both", 5, session.started_at),
        ("post_session", "lower_back", "both", 4, after),
    ):
        PainScoreFactory(
            patient=person,
            session=session,
            source=source,
            region=region,
            side=side,
            score=score,
            recorded_at=at,
        )
    MobilityMeasurement.objects.create(
        patient=person,
        session=session,
        movement=Movement.objects.get(code="cervical-rotation"),
        side="left",
        degrees=60,
        measured_at=session.started_at,
    )
    return person


def test_the_progress_report_names_each_region_and_side(page, live_server, manager, course):
    sign_in(page, live_server, "carol")
    page.goto(f"{live_server.url}/dashboard/patients/{course.pk}/")
    expect(page.locator("#progress")).to_have_attribute("data-state", "ready")

    series = _datasets(page, "chart-pain")
    assert [(s["label"], s["points"]) for s in series] == [
        ("Neck (back) — Patient's left", 2),
        ("Lower back — Both sides", 1),  # the rating right after the session is left out
    ]
    expect(page.locator("#mobility-rows")).to_contain_text("Patient's left")


def test_the_patient_chart_draws_one_region_by_source_with_the_same_names(
    page, live_server, manager, course
):
    sign_in(page, live_server, "carol")
    page.goto(f"{live_server.url}/patients/{course.pk}/")
    region = page.get_by_label("Region")
    expect(region.locator("option")).to_have_text(
        ["Neck (back) — Patient's left (2)", "Lower back — Both sides (2)"]
    )
    assert [s["label"] for s in _datasets(page, "pain-chart")] == ["Intake", "Before session"]

    region.select_option(label="Lower back — Both sides (2)")

    expect(page.locator("#pain-chart")).to_have_attribute("data-points", "2")
    labels = [s["label"] for s in _datasets(page, "pain-chart")]
    assert labels == ["Before session", "After session"]


def test_every_chart_takes_its_colours_from_the_stylesheet(page, live_server, manager, course):
    """A theme that changes app.css's chart colours reaches the dashboard, the patient chart
    (pain and mobility) and the progress report, with no colour left in the scripts."""

    def themed(route):
        response = route.fetch()
        route.fulfill(response=response, body=response.text() + THEME)

    page.route("**/static/css/app.css", themed)
    sign_in(page, live_server, "carol")

    page.goto(f"{live_server.url}/dashboard/patients/{course.pk}/")
    expect(page.locator("#progress")).to_have_attribute("data-state", "ready")
    assert [s["colour"] for s in _datasets(page, "chart-pain")] == ["#123456", "#654321"]

    page.goto(f"{live_server.url}/patients/{course.pk}/")
    expect(page.locator("#pain-chart")).to_have_attribute("data-points", "2")
    assert [s["colour"] for s in _datasets(page, "pain-chart")] == ["#abcdef", "#654321"]
    assert [s["colour"] for s in _datasets(page, "mobility-chart")] == ["#123456"]

    page.goto(f"{live_server.url}/dashboard/")
    expect(page.locator("#dashboard")).to_have_attribute("data-state", "ready")
    assert [s["colour"] for s in _datasets(page, "chart-curve")] == ["#123456"]
    rom = page.evaluate(
        "Chart.getChart(document.getElementById('chart-rom'))"
        ".data.datasets.map((d) => d.backgroundColor)"
    )
    assert rom == ["#fedcba", "#123456"]
