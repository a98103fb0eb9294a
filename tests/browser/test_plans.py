"""A therapist writes a plan of care from the chart on a tablet, signs it, treats the patient
twice, and the chart on a phone shows each goal's progress from baseline toward its target."""

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from patients.models import FunctionalScore
from plans.models import PlanOfCare
from sessions.services import session_sign, session_start, session_update

from .axe import axe_violations
from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTEFACTS = Path(__file__).resolve().parents[2] / "test-results"
TABLET = {"width": 1024, "height": 768}
PHONE = {"width": 390, "height": 844}


def _session(patient, therapist, *, pain: int, socks: int, days_later: int):
    """A signed session with the pain before it and a PSFS re-rating of the activity."""
    started = timezone.now() + dt.timedelta(minutes=days_later)
    session = session_start(patient=patient, therapist=therapist, started_at=started, another=True)
    session_update(
        session=session,
        user=therapist,
        fields={"subjective": "Low back easier in the mornings."},
        pain=[{"source": "pre_session", "region": "lower_back", "side": "both", "score": pain}],
    )
    session_sign(session=session, user=therapist)
    FunctionalScore.objects.create(
        patient=patient, session=session, recorded_at=started, source="pre_session",
        item=1, activity="Putting on socks", score=socks,
    )  # fmt: skip


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width


def test_a_plan_with_goals_shows_progress_on_the_chart_after_two_sessions(
    page, live_server, therapist, patient
):
    page.set_viewport_size(TABLET)
    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.get_by_role("link", name="Start a plan of care").click()

    page.get_by_label("Complaint").fill("Low back pain after long drives.")
    page.get_by_label("Lower back").check()
    page.get_by_label("Sessions a week").fill("1")
    page.get_by_label("Weeks").fill("6")
    reassess = timezone.localdate(timezone=patient.clinic.zone) + dt.timedelta(weeks=3)
    page.get_by_label("Re-assessment due").fill(reassess.isoformat())
    first, second = page.locator("#goal-row-0"), page.locator("#goal-row-1")
    first.get_by_label("Measure").select_option("pain")
    first.get_by_label("Region (pain)").select_option("lower_back")
    first.get_by_label("Side (pain, range)").select_option("both")
    first.get_by_label("Target").fill("2")
    second.get_by_label("Measure").select_option("psfs")
    second.get_by_label("Activity (PSFS)").fill("Putting on socks")
    second.get_by_label("Target").fill("8")
    assert axe_violations(page) == []
    _no_sideways_scroll(page)
    page.get_by_role("button", name="Save the draft").click()

    expect(page.locator("#plan-status")).to_have_text("Draft")
    page.get_by_role("button", name="Sign the plan").click()
    expect(page.locator("#plan-status")).to_have_text("Active")
    assert axe_violations(page) == []
    plan = PlanOfCare.objects.get(patient=patient)
    assert plan.goals.count() == 2

    _session(patient, therapist, pain=6, socks=4, days_later=1)
    _session(patient, therapist, pain=4, socks=6, days_later=2)

    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    card = page.locator("#plan-of-care")
    expect(card).to_contain_text("2 of 6 sessions")
    pain, socks = card.locator("li.goal").all()
    expect(pain.locator("[data-figure=baseline]")).to_have_text("6/10")
    expect(pain.locator("[data-figure=latest]")).to_contain_text("4/10")
    expect(pain.locator("[data-figure=target]")).to_have_text("≤ 2/10")
    expect(pain.locator("progress")).to_have_attribute("value", "50")
    expect(socks.locator("[data-figure=baseline]")).to_have_text("4/10")
    expect(socks.locator("progress")).to_have_attribute("value", "50")
    _no_sideways_scroll(page)
    assert axe_violations(page) == []
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "plan-progress-phone.png"), full_page=True)
