"""Issue 15 in a real browser, each defect at the viewport where it was seen: signing an empty
note, drafts piling up, a half-filled point, an impossible range of motion, the signed view, a
correcting addendum, the tablet layout; and recording faster than paper (templates, last
session's points, the hold countdown). Screenshots go to test-results/."""

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from sessions.models import Movement, SoapTemplate, TreatmentSession
from sessions.services import session_sign, session_start, session_update
from tests.factories import TriggerPointFactory

from .conftest import sign_in, tap_shape

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTEFACTS = Path(__file__).resolve().parents[2] / "test-results"
DESKTOP = {"width": 1366, "height": 900}
TABLET = {"width": 1024, "height": 768}
PORTRAIT = {"width": 768, "height": 1024}
TOUCH = 44  # px: the smallest comfortable touch target


def _open(page, live_server, patient):
    """Sign in as alice and open the recording page of her (new or open) draft."""
    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/sessions/new/?patient={patient.pk}")
    page.get_by_role("button", name="Start a new session").or_(
        page.get_by_role("button", name="Continue the draft")
    ).click()
    expect(page.locator("#session-form[data-ready]")).to_have_count(1)
    return int(page.url.rstrip("/").split("/")[-1])


def _saved(page):
    expect(page.locator("#save-status")).to_contain_text("Saved", timeout=20_000)


def _place(page, region, side, view="back"):
    tap_shape(
        page.locator(
            f'svg[data-view="{view}"] .region[data-region="{region}"][data-side="{side}"]'
        ).first
    )
    return page.locator(".point").last


def _pain_before(page, score):
    page.locator('[data-add-pain="pre_session"]').click()
    row = page.locator('tbody[data-pain-source="pre_session"] tr').last
    row.get_by_label("Region").select_option("neck_back")
    row.get_by_label("Pain 0-10").fill(str(score))


def _boxes_meet(a, b):
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def test_an_empty_note_is_not_signed_and_the_page_says_what_is_missing(
    page, live_server, patient, therapist
):
    page.set_viewport_size(DESKTOP)
    session_id = _open(page, live_server, patient)
    page.get_by_role("button", name="Sign and lock").click()
    expect(page.get_by_text("Write at least one part of the SOAP note").first).to_be_visible()
    subjective = page.get_by_label("Subjective — what the patient reports")
    expect(subjective).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".field-error", has_text="Rate the pain before")).to_be_visible()
    assert not TreatmentSession.objects.get(pk=session_id).is_signed

    subjective.fill("Neck stiff after a week of deadlines.")
    _pain_before(page, 6)
    _saved(page)
    page.get_by_role("button", name="Sign and lock").click()
    expect(page.get_by_text("Signed. The note is now locked")).to_be_visible()
    assert TreatmentSession.objects.get(pk=session_id).is_signed


def test_starting_again_continues_the_draft_and_a_draft_can_be_discarded(
    page, live_server, patient, therapist
):
    page.set_viewport_size(DESKTOP)
    first = _open(page, live_server, patient)
    page.get_by_label("Objective — findings").fill("Started by mistake.")
    _saved(page)
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.get_by_role("link", name="Record a session").click()
    page.get_by_role("button", name="Continue the draft").click()
    expect(page.get_by_label("Objective — findings")).to_have_value("Started by mistake.")
    assert page.url.rstrip("/").endswith(f"/sessions/{first}")
    assert TreatmentSession.objects.filter(patient=patient).count() == 1

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Discard this draft").click()
    expect(page.get_by_text("The draft was discarded.")).to_be_visible()
    expect(page.locator(f'a[href="/sessions/{first}/"]')).to_have_count(0)
    assert TreatmentSession.objects.get(pk=first).is_discarded

    page.get_by_role("link", name="Record a session").click()
    page.get_by_role("button", name="Start a new session").click()
    expect(page.locator("#session-form[data-ready]")).to_have_count(1)
    assert TreatmentSession.objects.filter(patient=patient, discarded_at__isnull=True).count() == 1


def test_a_point_just_placed_saves_and_signing_asks_for_its_tenderness(
    page, live_server, patient, therapist
):
    page.set_viewport_size(TABLET)
    session_id = _open(page, live_server, patient)
    page.get_by_label("Subjective — what the patient reports").fill("Neck stiff.")
    _pain_before(page, 6)
    _place(page, "shoulder", "left")
    _saved(page)
    session = TreatmentSession.objects.get(pk=session_id)
    assert session.trigger_points.get().tenderness is None

    page.get_by_role("button", name="Sign and lock").click()
    message = page.locator(".point .field-error")
    expect(message).to_contain_text("Trigger point 1 (")
    expect(message).to_contain_text("rate its tenderness")
    page.locator(".point").first.get_by_label("Tenderness 0-10").fill("6")
    _saved(page)
    page.get_by_role("button", name="Sign and lock").click()
    expect(page.get_by_text("Signed. The note is now locked")).to_be_visible()


def test_an_impossible_range_of_motion_is_marked_on_the_field(
    page, live_server, patient, therapist
):
    page.set_viewport_size(TABLET)
    _open(page, live_server, patient)
    page.get_by_role("button", name="Add a measurement").click()
    rom = page.locator("#mobility tr").last
    rom.get_by_label("Movement").select_option(label="Ankle — Dorsiflexion")
    rom.get_by_label("Degrees").fill("200")
    expect(rom.locator(".field-error")).to_contain_text("reaches at most 35°")
    expect(rom.locator(".normal")).not_to_contain_text("1000")
    rom.get_by_label("Degrees").fill("18")
    _saved(page)
    expect(rom.locator(".normal")).to_have_text("20° · 90%")


def _signed_with_everything(patient, therapist):
    session = session_start(patient=patient, therapist=therapist)
    session_update(
        session=session,
        user=therapist,
        fields={"subjective": "Neck stiff.", "duration_minutes": 50},
        pain=[{"source": "pre_session", "region": "neck_back", "side": "right", "score": 6}],
        mobility=[
            {
                "movement": Movement.objects.get(code="cervical-rotation"),
                "side": "left",
                "degrees": 60,
                "method": "inclinometer",
            }
        ],
    )
    TriggerPointFactory(
        session=session,
        side="right",
        pressure_pain_threshold="2.40",
        referral_pattern="To the temple",
        repetitions=3,
    )
    return session_sign(session=session, user=therapist)


def test_the_signed_note_shows_everything_and_an_addendum_corrects_a_point(
    page, live_server, patient, therapist
):
    session = _signed_with_everything(patient, therapist)
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/sessions/{session.pk}/")
    record = page.locator("#record-points")
    for shown in ("2.40", "To the temple", "Ischemic compression"):
        expect(record).to_contain_text(shown)
    expect(page.get_by_text("50 minutes")).to_be_visible()
    expect(page.get_by_role("cell", name="Inclinometer")).to_be_visible()
    expect(page.get_by_role("cell", name="75 %")).to_be_visible()
    markers = page.locator("#record-map .marker")
    expect(markers).to_have_count(1)
    expect(markers.first).to_be_visible()
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "signed-note-1366.png"), full_page=True)

    point = session.trigger_points.get()
    page.get_by_label("Reason").fill("Wrong side")
    page.get_by_label("Text").fill("The point was on the patient's left.")
    page.get_by_label("Trigger point to correct").select_option(str(point.pk))
    page.get_by_label("Correct side").select_option("left")
    page.get_by_role("button", name="Add addendum").click()
    expect(page.get_by_text("Addendum added.")).to_be_visible()
    expect(record.locator("del")).to_have_text("Patient's right")
    expect(record.locator("ins")).to_have_text("Patient's left")
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    expect(page.locator(".tp-history")).to_contain_text("Patient's left")
    expect(page.locator(".tp-history")).not_to_contain_text("Patient's right")


def _three_points(page):
    _pain_before(page, 6)
    for region, side in (("neck_back", "midline"), ("shoulder", "left"), ("upper_back", "right")):
        _place(page, region, side).get_by_label("Tenderness 0-10").fill("6")
    page.get_by_role("button", name="Add a measurement").click()
    page.locator("#mobility tr").last.get_by_label("Degrees").fill("15")
    page.get_by_label("Subjective — what the patient reports").fill("Neck stiff.")
    _saved(page)


def _touch_targets_too_small(page):
    return page.evaluate(
        """(least) => [...document.querySelectorAll(
              '#session-form input:not([type=checkbox]), #session-form select,' +
              '#session-form textarea, #session-form button, #session-form .field.check,' +
              '#recording-tools button:not([hidden]), #sign-form button, #discard-form button')]
            .filter((el) => el.offsetParent !== null)
            .map((el) => ({el, box: el.getBoundingClientRect()}))
            .filter(({box}) => box.height < least || box.width < least)
            .map(({el, box}) => `${el.tagName}.${el.className} ${box.width}x${box.height}`)""",
        TOUCH,
    )


@pytest.mark.parametrize("viewport", [TABLET, PORTRAIT], ids=["1024x768", "768x1024"])
def test_on_a_tablet_the_map_stays_beside_the_point_and_nothing_covers_the_hold_timer(
    page, live_server, patient, therapist, viewport
):
    page.set_viewport_size(viewport)
    _open(page, live_server, patient)
    _three_points(page)
    height = page.evaluate("document.documentElement.scrollHeight")
    ARTEFACTS.mkdir(exist_ok=True)
    name = f"recording-{viewport['width']}x{viewport['height']}"
    (ARTEFACTS / f"{name}-height.json").write_text(json.dumps({"page_height_px": height}))
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)

    third = page.locator(".point").nth(2)
    third.get_by_label("Pressure 0-10").focus()
    map_box = page.locator("#body-map").bounding_box()
    field_box = third.get_by_label("Pressure 0-10").bounding_box()
    # The map beside the field being edited, in view.
    assert map_box["y"] >= 0 and map_box["y"] + 100 <= viewport["height"]
    assert map_box["x"] + map_box["width"] <= field_box["x"]

    assert _touch_targets_too_small(page) == []

    timer = third.get_by_role("button", name="Start hold timer")
    for block in ("start", "end", "center"):
        timer.evaluate(f"(el) => el.scrollIntoView({{block: '{block}'}})")
        assert not _boxes_meet(timer.bounding_box(), page.locator("#save-status").bounding_box())
    assert height < 3900, height


def test_the_recording_page_at_desktop_width(page, live_server, patient, therapist):
    page.set_viewport_size(DESKTOP)
    _open(page, live_server, patient)
    _three_points(page)
    height = page.evaluate("document.documentElement.scrollHeight")
    ARTEFACTS.mkdir(exist_ok=True)
    (ARTEFACTS / "recording-1366x900-height.json").write_text(
        json.dumps({"page_height_px": height})
    )
    page.screenshot(path=str(ARTEFACTS / "recording-1366x900.png"), full_page=True)
    assert _touch_targets_too_small(page) == []


def test_a_template_and_last_sessions_points_start_the_note(page, live_server, patient, therapist):
    SoapTemplate.objects.create(
        clinic=patient.clinic,
        name="Neck follow-up",
        objective="Palpation of the upper trapezius and levator scapulae.",
        plan="Review in one week.",
    )
    earlier = session_start(patient=patient, therapist=therapist)
    session_update(
        session=earlier,
        user=therapist,
        fields={"subjective": "First visit.", "plan": "Chin tucks daily; weekly for three weeks."},
        pain=[{"source": "pre_session", "region": "neck_back", "side": "right", "score": 7}],
    )
    TriggerPointFactory(session=earlier, side="right", tenderness=8)
    session_sign(session=earlier, user=therapist)

    page.set_viewport_size(DESKTOP)
    _open(page, live_server, patient)
    page.get_by_role("button", name="Start from the last session").click()
    expect(page.locator(".point")).to_have_count(1)
    point = page.locator(".point").first
    expect(point.get_by_label("Muscle")).to_have_value("upper-trapezius")
    expect(point.get_by_label("Side")).to_have_value("right")
    expect(point.get_by_label("Tenderness 0-10")).to_have_value("")  # to re-assess
    expect(page.get_by_label("Plan", exact=True)).to_have_value(
        "Chin tucks daily; weekly for three weeks."
    )

    page.get_by_label("SOAP template").select_option(label="Neck follow-up")
    page.get_by_role("button", name="Insert the template").click()
    expect(page.get_by_label("Objective — findings")).to_have_value(
        "Palpation of the upper trapezius and levator scapulae."
    )
    expect(page.get_by_label("Plan", exact=True)).to_have_value(
        "Chin tucks daily; weekly for three weeks.\nReview in one week."
    )
    _saved(page)
    draft = TreatmentSession.objects.exclude(pk=earlier.pk).get()
    assert draft.trigger_points.get().tenderness is None
    assert draft.objective.startswith("Palpation")


def test_the_hold_counts_down_from_the_techniques_target_and_fills_the_time_held(
    page, live_server, patient, therapist
):
    page.set_viewport_size(TABLET)
    page.clock.install()
    _open(page, live_server, patient)
    point = _place(page, "shoulder", "left")
    point.get_by_role("button", name="Start hold timer").click()
    page.clock.run_for(10_000)
    expect(point.locator(".hold-countdown")).to_have_text("20 s left")
    page.clock.run_for(21_000)
    expect(point.locator(".hold-countdown")).to_contain_text("Target reached")
    expect(point.locator(".hold-bar.reached")).to_have_count(1)
    page.clock.run_for(4_000)
    point.get_by_role("button", name="Stop hold timer").click()
    assert 34 <= int(point.get_by_label("Hold (seconds)").input_value()) <= 36
    page.clock.run_for(1_000)  # the autosave's pause in typing
    _saved(page)
