"""A therapist's day in a real browser: chart, recording a session on the body map, signing,
addenda; and the page's promise that nothing typed is lost."""

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from demo.catalogue import DEMO_PASSWORD
from patients.models import PainScore, Patient
from sessions.models import TreatmentSession

from .conftest import sign_in, tap_shape

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTEFACTS = Path(__file__).resolve().parents[2] / "test-results"


@pytest.fixture
def demo_patient(transactional_db):
    call_command("seed_demo", "--patients", "6", "--quiet", verbosity=0)
    # A patient of the main clinic whose course the therapist `therapist` has been treating.
    return (
        Patient.objects.filter(
            clinic__slug="harbour-street", sessions__therapist__username="therapist"
        )
        .distinct()
        .order_by("pk")
        .first()
    )


def _start_session(page, live_server, patient):
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.get_by_role("link", name="Record a session").click()
    page.get_by_role("button", name="Start a new session").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Session")
    # The script must listen before the test types, or the typing is never saved.
    expect(page.locator("#session-form[data-ready]")).to_have_count(1)
    return int(page.url.rstrip("/").split("/")[-1])


def _saved(page):
    # Generous: CI machines are shared, and an autosave waits for a pause in typing first.
    expect(page.locator("#save-status")).to_contain_text("Saved", timeout=20_000)


def _add_pain(page, source, region, score):
    page.locator(f'[data-add-pain="{source}"]').click()
    row = page.locator(f'tbody[data-pain-source="{source}"] tr').last
    row.get_by_label("Region").select_option(region)
    row.get_by_label("Side").select_option("right")
    row.get_by_label("Pain 0-10").fill(str(score))
    return row


def test_a_therapist_records_signs_and_corrects_a_session_and_front_desk_cannot_read_it(
    page, live_server, demo_patient, browser
):
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server, "therapist", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/patients/?q={demo_patient.last_name}")
    page.get_by_role("link", name=f"{demo_patient.last_name}, {demo_patient.first_name}").click()
    expect(page.locator("#pain-chart")).to_be_visible()
    session_id = _start_session(page, live_server, demo_patient)

    _add_pain(page, "pre_session", "neck_back", 7)
    back = page.locator('svg[data-view="back"]')
    for region, side in (("neck_back", "midline"), ("shoulder", "left"), ("upper_back", "right")):
        tap_shape(back.locator(f'.region[data-region="{region}"][data-side="{side}"]').first)
        page.locator(".point").last.get_by_label("Tenderness 0-10").fill("6")
    expect(page.locator(".point")).to_have_count(3)
    first = page.locator(".point").first
    first.get_by_role("button", name="Start hold timer").click()
    page.wait_for_timeout(1600)
    first.get_by_role("button", name="Stop hold timer").click()
    held = int(first.get_by_label("Hold (seconds)").input_value())
    assert 1 <= held <= 5
    first.get_by_label("Released").check()

    page.get_by_role("button", name="Add a measurement").click()
    rom = page.locator("#mobility tr").last
    rom.get_by_label("Movement").select_option(label="Cervical spine — Rotation")
    rom.get_by_label("Degrees").fill("60")
    expect(rom.locator(".normal")).to_have_text("80° · 75%")

    page.get_by_label("Subjective — what the patient reports").fill(
        "Neck tight after a week of deadlines."
    )
    page.get_by_label("Objective — findings").fill("Taut band in the upper trapezius.")
    page.get_by_label("Assessment").fill("Responding; less referral to the temple.")
    page.get_by_label("Plan", exact=True).fill("Weekly for three weeks; chin tucks at home.")
    _add_pain(page, "post_session", "neck_back", 3)
    _saved(page)
    page.locator("#body-map").screenshot(path=str(ARTEFACTS / "body-map.png"))

    # A reload mid-draft restores everything from the server.
    page.reload()
    expect(page.locator(".point")).to_have_count(3)
    expect(page.get_by_label("Subjective — what the patient reports")).to_have_value(
        "Neck tight after a week of deadlines."
    )
    assert page.locator(".point").first.get_by_label("Hold (seconds)").input_value() == str(held)

    acknowledge = page.get_by_label("I have read the red flags and adapted the treatment to them.")
    if acknowledge.count():
        acknowledge.check()
    page.get_by_role("button", name="Sign and lock").click()
    expect(page.get_by_text("Signed. The note is now locked")).to_be_visible()
    expect(page.locator("textarea[data-field]")).to_have_count(0)

    session = TreatmentSession.objects.get(pk=session_id)
    assert session.is_signed and session.trigger_points.count() == 3
    assert session.trigger_points.filter(released=True, hold_seconds=held).count() == 1
    assert sorted(session.pain_scores.values_list("source", "score")) == [
        ("post_session", 3),
        ("pre_session", 7),
    ]

    # The signed note refuses edits, even sent by hand.
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    refused = page.request.post(
        f"{live_server.url}/sessions/{session_id}/draft",
        data=json.dumps({"subjective": "rewritten"}),
        headers={"X-CSRFToken": csrf, "Content-Type": "application/json"},
    )
    assert refused.status == 409
    page.get_by_label("Reason").fill("Wrong side")
    page.get_by_label("Text").fill("The third point was on the patient's left.")
    page.get_by_role("button", name="Add addendum").click()
    expect(page.locator(".addendum")).to_contain_text("The third point was on the patient's left.")
    session.refresh_from_db()
    assert session.subjective == "Neck tight after a week of deadlines."

    # The chart shows the new scores in the pain chart's series.
    page.goto(f"{live_server.url}/patients/{demo_patient.pk}/")
    page.get_by_label("Region").select_option(value="neck_back|right")
    scores = PainScore.objects.filter(
        patient=demo_patient, region="neck_back", side="right", score__isnull=False
    ).count()
    expect(page.locator("#pain-chart")).to_have_attribute("data-points", str(scores))
    page.get_by_text("Latest scores of this region").click()
    expect(page.locator("#pain-latest tbody tr").first).to_contain_text("After session")
    page.screenshot(path=str(ARTEFACTS / "patient-chart.png"), full_page=True)

    desk = browser.new_page()
    sign_in(desk, live_server, "frontdesk", DEMO_PASSWORD)
    assert desk.goto(f"{live_server.url}/sessions/{session_id}/").status == 404
    desk.goto(f"{live_server.url}/patients/{demo_patient.pk}/")
    expect(desk.get_by_role("heading", level=1)).to_have_text(demo_patient.full_name)
    expect(desk.get_by_text("Neck tight after a week of deadlines.")).to_have_count(0)
    expect(desk.locator("#pain-chart")).to_have_count(0)
    desk.close()


def test_out_of_range_values_are_marked_per_field_and_kept_as_typed(
    page, live_server, demo_patient
):
    page.set_viewport_size({"width": 1024, "height": 768})  # a tablet
    sign_in(page, live_server, "therapist", DEMO_PASSWORD)
    session_id = _start_session(page, live_server, demo_patient)
    pain = _add_pain(page, "pre_session", "lower_back", 11)
    tap_shape(
        page.locator(
            'svg[data-view="back"] .region[data-region="lower_back"][data-side="left"]'
        ).first
    )
    point = page.locator(".point").last
    point.get_by_label("Tenderness 0-10").fill("5")
    point.get_by_label("Hold (seconds)").fill("-5")
    page.get_by_role("button", name="Add a measurement").click()
    rom = page.locator("#mobility tr").last
    rom.get_by_label("Degrees").fill("720")

    expect(page.locator("#save-status")).to_contain_text("correct the highlighted fields")
    expect(pain.locator(".field-error")).to_contain_text("less than or equal to 10")
    expect(point.locator(".field-error")).to_contain_text("greater than or equal to 0")
    expect(rom.locator(".field-error")).to_contain_text("less than or equal to 360")
    expect(pain.get_by_label("Pain 0-10")).to_have_value("11")
    expect(point.get_by_label("Hold (seconds)")).to_have_value("-5")
    expect(rom.get_by_label("Degrees")).to_have_value("720")
    session = TreatmentSession.objects.get(pk=session_id)
    assert not session.pain_scores.exists() and not session.trigger_points.exists()

    # Corrected values save, and the marks go away.
    pain.get_by_label("Pain 0-10").fill("8")
    point.get_by_label("Hold (seconds)").fill("30")
    rom.get_by_label("Degrees").fill("30")  # within ankle dorsiflexion's plausible 35°
    _saved(page)
    expect(page.locator(".field-error")).to_have_count(0)
    assert session.pain_scores.get().score == 8


def test_a_network_error_says_so_and_keeps_the_typing_for_the_next_visit(
    page, live_server, demo_patient
):
    sign_in(page, live_server, "therapist", DEMO_PASSWORD)
    session_id = _start_session(page, live_server, demo_patient)
    page.route("**/draft", lambda route: route.abort())
    page.get_by_label("Objective — findings").fill("Typed while the network was down.")
    expect(page.locator("#save-status")).to_contain_text("connection failed", timeout=15_000)
    page.unroute("**/draft")
    assert TreatmentSession.objects.get(pk=session_id).objective == ""

    page.reload()  # the copy kept in the browser comes back and is saved
    expect(page.get_by_label("Objective — findings")).to_have_value(
        "Typed while the network was down."
    )
    _saved(page)
    assert (
        TreatmentSession.objects.get(pk=session_id).objective == "Typed while the network was down."
    )
