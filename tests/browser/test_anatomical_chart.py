"""The anatomical body chart in a real browser: a click names the muscle under the finger on the
recording page and saves a point there; a tap on the phone's pain map records a region's score;
points and pain scores recorded before still show on the new figure. Screenshots and the sizes
of the touch targets go to test-results/."""

import json
from pathlib import Path

import pytest
from django.test import Client
from playwright.sync_api import expect

from patients.body_chart import shape_at
from patients.forms import STEPS
from patients.models import IntakeSubmission
from sessions.models import Muscle, TreatmentSession
from sessions.services import session_sign, session_start, session_update
from tests.factories import TriggerPointFactory
from tests.patients.intake_helpers import fill, invite

from .axe import axe_violations
from .conftest import sign_in, tap_shape

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTEFACTS = Path(__file__).resolve().parents[2] / "test-results"
DESKTOP = {"width": 1366, "height": 900}
TABLET = {"width": 1024, "height": 768}
PHONE = {"width": 390, "height": 844}
TOUCH = 44  # px


def _open_recording(page, live_server, patient):
    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/sessions/new/?patient={patient.pk}")
    page.get_by_role("button", name="Start a new session").click()
    expect(page.locator("#session-form[data-ready]")).to_have_count(1)
    return int(page.url.rstrip("/").split("/")[-1])


def _target_sizes(page, chart: str) -> dict:
    """How many of the chart's outlines are at least a finger (44x44 px) on screen, and how many
    of its regions (each side) and muscles (each side) have at least one such outline."""
    return page.evaluate(
        """([chart, least]) => {
            const shapes = [...document.querySelectorAll(`#${chart} .region`)];
            const big = (s) => {
                const b = s.getBoundingClientRect();
                return b.width >= least && b.height >= least;
            };
            const share = (key) => {
                const all = new Set(), reached = new Set();
                shapes.filter((s) => key(s)).forEach((s) => {
                    all.add(key(s));
                    if (big(s)) reached.add(key(s));
                });
                return `${reached.size} of ${all.size}`;
            };
            const svg = document.querySelector(`#${chart} svg`).getBoundingClientRect();
            return {
                svg_width_px: Math.round(svg.width),
                outlines_at_least_44px: share((s) => s.getAttribute("d")),
                regions_with_a_44px_outline: share((s) => `${s.dataset.region} ${s.dataset.side}`),
                // A muscle's side is in its label (a midline region's muscle has two halves).
                muscles_with_a_44px_outline: share((s) => s.dataset.muscle
                    && `${s.dataset.muscle} ${s.dataset.label.split(",")[1]}`),
            };
        }""",
        [chart, TOUCH],
    )


@pytest.mark.parametrize("viewport", [DESKTOP, TABLET], ids=["1366x900", "1024x768"])
def test_a_click_on_the_upper_trapezius_on_the_back_view_names_it_and_saves_a_point_there(
    page, live_server, patient, therapist, viewport
):
    page.set_viewport_size(viewport)
    session_id = _open_recording(page, live_server, patient)
    back = page.locator('#body-map svg[data-view="back"]')
    upper_trapezius = back.locator('.region[data-muscle="upper-trapezius"][data-side="right"]')
    tap_shape(upper_trapezius)

    expect(page.locator("#map-pick")).to_have_text("Upper trapezius, Patient's right (Shoulder)")
    point = page.locator(".point").last
    expect(point.locator("legend")).to_have_text("1. Upper trapezius — Patient's right")
    expect(point.get_by_label("Muscle")).to_have_value("upper-trapezius")
    expect(point.get_by_label("Side")).to_have_value("right")
    expect(point.get_by_label("Tenderness 0-10")).to_be_focused()
    point.get_by_label("Tenderness 0-10").fill("7")

    # The keyboard reaches every outline by name: Enter on the left upper trapezius.
    left = back.locator('.region[data-muscle="upper-trapezius"][data-side="left"]')
    expect(left).to_have_attribute("aria-label", "Upper trapezius, Patient's left (Shoulder)")
    left.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".point")).to_have_count(2)
    expect(page.locator(".point").last.get_by_label("Side")).to_have_value("left")
    page.locator(".point").last.get_by_label("Tenderness 0-10").fill("5")
    expect(page.locator("#save-status")).to_contain_text("Saved", timeout=20_000)

    ARTEFACTS.mkdir(exist_ok=True)
    name = f"anatomical-chart-{viewport['width']}x{viewport['height']}"
    page.locator("#body-map").screenshot(path=str(ARTEFACTS / f"{name}.png"))
    (ARTEFACTS / f"{name}-targets.json").write_text(
        json.dumps(_target_sizes(page, "body-map"), indent=1)
    )
    assert axe_violations(page) == []

    points = TreatmentSession.objects.get(pk=session_id).trigger_points.order_by("side")
    assert [(p.muscle.slug, p.side, p.chart_view) for p in points] == [
        ("upper-trapezius", "left", "back"),
        ("upper-trapezius", "right", "back"),
    ]
    # Saved where the finger was: on the upper trapezius outline, on the patient's right half.
    for p in points:
        under = shape_at(p.chart_view, p.x, p.y)
        assert under and (under.muscle, under.body_side) == ("upper-trapezius", p.side)


def test_the_larger_chart_makes_the_trapezius_a_finger_wide_on_a_tablet(
    page, live_server, patient, therapist
):
    page.set_viewport_size(TABLET)
    _open_recording(page, live_server, patient)
    zoom = page.get_by_role("button", name="Larger chart")
    zoom.click()
    expect(zoom).to_have_attribute("aria-pressed", "true")
    back = page.locator('#body-map svg[data-view="back"]')
    shape = back.locator('.region[data-muscle="upper-trapezius"][data-side="right"]')
    box = shape.bounding_box()
    assert box["width"] >= TOUCH and box["height"] >= TOUCH, box
    tap_shape(shape)
    expect(page.locator(".point")).to_have_count(1)
    ARTEFACTS.mkdir(exist_ok=True)
    page.locator("#body-map").screenshot(path=str(ARTEFACTS / "anatomical-chart-larger-1024.png"))
    (ARTEFACTS / "anatomical-chart-larger-1024-targets.json").write_text(
        json.dumps(_target_sizes(page, "body-map"), indent=1)
    )


def test_a_patient_records_a_region_score_by_tapping_the_figure_on_a_phone(
    browser, live_server, clinic_a, front_desk
):
    token = invite(clinic=clinic_a, by=front_desk)
    fill(Client(), token, steps=range(1, 5))
    phone = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    page = phone.new_page()
    page.goto(f"{live_server.url}/intake/{token}/")
    chart = page.locator("#pain-map")
    expect(chart).to_be_visible()
    # The phone shows one view at a time, large; the back view is a swipe away.
    back = chart.locator('svg[data-view="back"]')
    back.scroll_into_view_if_needed()
    shoulder = back.locator('.region[data-region="shoulder"][data-side="right"]').first
    expect(shoulder).to_have_attribute("aria-label", "Shoulder, Right")
    box = shoulder.bounding_box()
    assert box["width"] >= TOUCH and box["height"] >= TOUCH, box
    tap_shape(shoulder, touch=True)
    rating = page.locator("#id_pain_shoulder_right")
    expect(rating).to_be_focused()
    rating.fill("7")
    expect(
        chart.locator('.region.selected[data-region="shoulder"][data-side="right"]')
    ).to_have_count(chart.locator('.region[data-region="shoulder"][data-side="right"]').count())
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "anatomical-chart-intake-390.png"), full_page=True)
    (ARTEFACTS / "anatomical-chart-intake-390-targets.json").write_text(
        json.dumps(_target_sizes(page, "pain-map"), indent=1)
    )
    assert axe_violations(page) == []
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_text("Step 6 of 10")).to_be_visible()

    answers = IntakeSubmission.objects.get(invitation__clinic=clinic_a).answers[STEPS[4].key]
    assert {k: v for k, v in answers.items() if v not in (None, "")} == {"pain_shoulder_right": 7}
    phone.close()


def test_points_and_pain_scores_recorded_before_still_show_on_the_new_figure(
    page, live_server, patient, therapist, clinic_a, front_desk
):
    # Points placed on the old mannequin at the old catalogue spots (sessions migration 0002).
    session = session_start(patient=patient, therapist=therapist)
    old_spots = {"upper-trapezius": (0.40, 0.16), "gluteus-maximus": (0.42, 0.50)}
    for slug, (x, y) in old_spots.items():
        TriggerPointFactory(
            session=session, muscle=Muscle.objects.get(slug=slug), side="left",
            chart_view="back", x=x, y=y, tenderness=6,
        )  # fmt: skip
    session_update(
        session=session,
        user=therapist,
        fields={"subjective": "Neck stiff."},
        pain=[{"source": "pre_session", "region": "neck_back", "side": "midline", "score": 6}],
    )
    session_sign(session=session, user=therapist)

    sign_in(page, live_server, "alice")
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/sessions/{session.pk}/")
    markers = page.locator("#record-map .marker")
    expect(markers).to_have_count(2)
    # Each marker sits on the body: an outline lies under its centre.
    under = page.evaluate(
        """() => [...document.querySelectorAll('#record-map .marker')].map((m) => {
            const b = m.getBoundingClientRect();
            return document.elementsFromPoint(b.x + b.width / 2, b.y + b.height / 2)
                .filter((e) => e.classList.contains('region')).map((e) => e.dataset.region);
        })"""
    )
    assert under == [["shoulder"], ["buttock"]], under
    page.locator("#record-map").screenshot(path=str(ARTEFACTS / "anatomical-chart-signed.png"))

    # Pain scores a patient gave before show on the figure when the step is opened again.
    token = invite(clinic=clinic_a, by=front_desk, email="other@example.com")
    fill(Client(), token, steps=range(1, 6))  # step 5: neck (back) 6, right shoulder 7
    page.goto(f"{live_server.url}/intake/{token}/?step=5")
    chart = page.locator("#pain-map")
    for region, side, score in (("neck_back", "midline", "6"), ("shoulder", "right", "7")):
        outlines = chart.locator(f'.region[data-region="{region}"][data-side="{side}"]')
        assert outlines.count() >= 2
        for k in range(outlines.count()):
            expect(outlines.nth(k)).to_have_class("region selected")
            expect(outlines.nth(k)).to_have_attribute("data-score", score)
