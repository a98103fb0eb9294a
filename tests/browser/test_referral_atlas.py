"""The referral atlas on the recording page, in a real browser: "check these first" for a
patient with neck and head pain, a point's zones on the chart, the referral tapped on the chart
and shown on the signed note."""

from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from demo.catalogue import DEMO_PASSWORD
from patients.models import Patient
from sessions.models import Muscle, TreatmentSession
from tests.factories import (
    PainScoreFactory,
    PatientFactory,
    TreatmentSessionFactory,
    TriggerPointFactory,
)

from .axe import axe_violations
from .conftest import _leave_and_let_the_server_finish, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTEFACTS = Path(__file__).resolve().parents[2] / "test-results"


@pytest.fixture
def headache_patient(transactional_db):
    call_command("seed_demo", "--patients", "6", "--quiet", verbosity=0)
    # A demo patient of the main clinic who came with head pain, treated by `therapist`.
    return (
        Patient.objects.filter(
            clinic__slug="harbour-street",
            sessions__therapist__username="therapist",
            pain_scores__source="intake",
            pain_scores__region="head",
        )
        .distinct()
        .order_by("pk")
        .first()
    )


def _start_session(page, live_server, patient):
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.get_by_role("link", name="Record a session").click()
    page.get_by_role("button", name="Start a new session").click()
    expect(page.locator("#session-form[data-ready]")).to_have_count(1)
    return int(page.url.rstrip("/").split("/")[-1])


def _rate_before(page, region, side, score):
    page.locator('[data-add-pain="pre_session"]').click()
    row = page.locator('tbody[data-pain-source="pre_session"] tr').last
    row.get_by_label("Region").select_option(region)
    row.get_by_label("Side").select_option(side)
    row.get_by_label("Pain 0-10").fill(str(score))


def _saved(page):
    expect(page.locator("#save-status")).to_contain_text("Saved", timeout=20_000)


def test_neck_and_head_pain_suggests_the_trapezius_and_scm_and_the_referral_is_tapped_and_signed(
    page, live_server, headache_patient
):
    assert headache_patient is not None
    page.set_viewport_size({"width": 1024, "height": 768})
    sign_in(page, live_server, "therapist", DEMO_PASSWORD)
    session_id = _start_session(page, live_server, headache_patient)

    _rate_before(page, "head", "both", 7)
    _rate_before(page, "neck_back", "midline", 6)
    _saved(page)
    suggestions = page.locator("#suggestions li")
    expect(suggestions.first).to_contain_text("Upper trapezius", timeout=10_000)
    expect(suggestions.first).to_contain_text("Head, both sides (essential, 7/10)")
    first_five = " ".join(suggestions.all_inner_texts()[:5])
    assert "Sternocleidomastoid" in first_five

    # The therapist marks the suggested point on the chart: its zones show, in words too.
    suggestions.first.get_by_role(
        "button", name="Mark on the chart: Upper trapezius, right"
    ).click()
    point = page.locator(".point").last
    expect(point.get_by_label("Muscle")).to_have_value("upper-trapezius")
    point.get_by_label("Tenderness 0-10").fill("6")
    legend = page.locator("#zone-legend")
    expect(legend).to_be_visible()
    expect(page.locator("#zone-essential")).to_contain_text("Head")
    expect(page.locator("#zone-essential")).to_contain_text("Neck (back)")
    expect(page.locator("#zone-spillover")).to_contain_text("Jaw, right")
    back = page.locator('#body-map svg[data-view="back"]')
    expect(back.locator('.region.zone-essential[data-region="head"]')).to_have_count(1)
    front = page.locator('#body-map svg[data-view="front"]')
    expect(
        front.locator('.region.zone-spillover[data-region="jaw"][data-side="right"]')
    ).to_have_count(1)
    expect(
        front.locator('.region.zone-spillover[data-region="jaw"][data-side="left"]')
    ).to_have_count(0)

    # The patient says the pressed point sends the pain to the temple and the jaw: tapped.
    point.get_by_role("button", name="Tap the referral on the chart").click()
    back.locator('.region[data-region="head"][data-side="midline"]').click()
    front.locator('.region[data-region="jaw"][data-side="right"]').click()
    expect(point.locator(".referral-list")).to_have_text("Head; Jaw, right")
    expect(page.locator(".point")).to_have_count(1)  # taps in this mode place no new point
    expect(front.locator('.region.selected[data-region="jaw"][data-side="right"]')).to_have_count(1)
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "referral-atlas-1024.png"), full_page=True)
    assert axe_violations(page) == []
    point.get_by_role("button", name="Done tapping the referral").click()
    page.get_by_label("Subjective — what the patient reports").fill("Temple headache since Monday.")
    _saved(page)

    page.get_by_role("button", name="Sign and lock").click()
    # Generous: signing first flushes the draft, and CI machines are shared.
    expect(page.locator(".badge.ok")).to_be_visible(timeout=20_000)
    expect(page.locator("td.referral-regions")).to_have_text("Head; Jaw, right")
    session = TreatmentSession.objects.get(pk=session_id)
    assert session.status == "signed"
    assert session.trigger_points.get().referral_regions == [
        {"region": "head", "side": "midline"},
        {"region": "jaw", "side": "right"},
    ]
    _leave_and_let_the_server_finish(page)


def test_check_these_first_fits_a_phone(page, live_server, headache_patient):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, "therapist", DEMO_PASSWORD)
    _start_session(page, live_server, headache_patient)
    check_first = page.locator("#check-first")
    expect(check_first).to_be_visible()
    expect(page.locator("#suggestions li").first).to_be_visible()
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    page.screenshot(path=str(ARTEFACTS / "referral-atlas-phone.png"), full_page=True)
    _leave_and_let_the_server_finish(page)


def test_the_manager_sees_how_often_points_refer_to_where_it_hurts(
    page, live_server, clinic_a, manager, therapist
):
    patient = PatientFactory(clinic=clinic_a)
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    PainScoreFactory(
        patient=patient, session=session, source="pre_session", region="head", side="midline",
        score=6, recorded_at=session.started_at,
    )  # fmt: skip
    TriggerPointFactory(session=session, muscle=Muscle.objects.get(slug="upper-trapezius"))
    TriggerPointFactory(session=session, muscle=Muscle.objects.get(slug="soleus"))
    page.set_viewport_size({"width": 1024, "height": 768})
    sign_in(page, live_server, "carol")
    page.goto(f"{live_server.url}/dashboard/")
    expect(page.locator("#dashboard")).to_have_attribute("data-state", "ready")
    expect(page.locator('[data-kpi="concordance"]')).to_have_text("50 %")
    expect(page.locator('[data-kpi="concordance_note"]')).to_have_text("1 of 2 points")
    row = page.locator('[data-table="concordance"] tbody tr')
    expect(row).to_have_count(1)
    expect(row.locator("td").last).to_have_text("50")
