"""Printing for a referral: a signed note's print view and the progress report, printed to PDF
by Chromium itself (page.pdf() lays the page out with the print media), and both pages' print
layout without navigation or buttons."""

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sessions.services import addendum_add, session_sign, session_start, session_update
from tests.factories import PainScoreFactory, TriggerPointFactory

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTEFACTS = Path(__file__).resolve().parents[2] / "test-results"


@pytest.fixture
def signed_note(clinic_a, therapist, patient):
    clinic_a.address = "120 Harbour Street, Suite 4\nToronto, ON M5J 2L2"
    clinic_a.save(update_fields=["address"])
    started = timezone.now() - dt.timedelta(hours=2)
    session = session_start(patient=patient, therapist=therapist, started_at=started)
    session_update(
        session=session,
        user=therapist,
        fields={"subjective": "Neck stiff after desk work.", "plan": "Re-assess in a week."},
    )
    PainScoreFactory(patient=patient, session=session, recorded_at=started, score=6)
    TriggerPointFactory(session=session, tenderness=7)
    session_sign(session=session, user=therapist)
    addendum_add(
        session=session,
        author=therapist,
        reason="Late entry",
        text="Patient also reports headaches.",
    )
    return session


def _pdf(page, name: str) -> bytes:
    ARTEFACTS.mkdir(exist_ok=True)
    path = ARTEFACTS / name
    page.pdf(path=str(path), format="A4", print_background=True)
    data = path.read_bytes()
    assert data.startswith(b"%PDF-") and len(data) > 10_000, len(data)
    return data


def _hidden_in_print(page):
    """The print media's DOM: no navigation, no button, no form; the page's content stays."""
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.locator(".topbar")).to_be_hidden()
    assert page.locator("button").count() >= 2
    for button in page.locator("button").all():
        expect(button).to_be_hidden()
    for form in page.locator("form").all():
        expect(form).to_be_hidden()


def test_a_signed_note_prints_for_a_referral_with_header_signature_and_addenda(
    page, live_server, therapist, patient, signed_note
):
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/sessions/{signed_note.pk}/")
    page.get_by_role("link", name="Print or save as PDF").click()

    note = page.locator("#print-note")
    expect(note.locator(".letterhead")).to_contain_text("Harbour Street Clinic")
    expect(note.locator("address")).to_contain_text("Toronto, ON M5J 2L2")
    expect(note).to_contain_text(patient.full_name)
    expect(note).to_contain_text(therapist.get_full_name())
    expect(note).to_contain_text("Upper trapezius")
    expect(note.locator("#addenda")).to_contain_text("Patient also reports headaches.")
    expect(note.get_by_role("button", name="Add addendum")).to_have_count(0)
    signed_note.refresh_from_db()
    # The clinic's hour, not the server's UTC one (Toronto is 4-5 hours behind).
    local = timezone.localtime(signed_note.signed_at, timezone=patient.clinic.zone)
    signature = note.locator(".signature")
    expect(signature).to_contain_text(therapist.get_full_name())
    expect(signature).to_contain_text(f"{local:%H:%M} (America/Toronto)")
    page.screenshot(path=str(ARTEFACTS / "signed-note-print-view.png"), full_page=True)
    page.evaluate("() => { window.print = () => { document.body.dataset.printed = 'yes'; }; }")
    page.get_by_role("button", name="Print or save as PDF").click()
    expect(page.locator("body")).to_have_attribute("data-printed", "yes")  # the print dialog

    _hidden_in_print(page)
    expect(note.locator(".letterhead")).to_be_visible()
    expect(signature).to_be_visible()
    _pdf(page, "signed-note.pdf")


def test_a_draft_has_no_print_view_yet(page, live_server, therapist, patient):
    draft = session_start(patient=patient, therapist=therapist)
    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/sessions/{draft.pk}/print")
    assert page.url.endswith(f"/sessions/{draft.pk}/")
    expect(page.get_by_role("link", name="Print or save as PDF")).to_have_count(0)


def test_the_progress_report_prints_to_pdf_without_navigation_or_buttons(
    page, live_server, therapist, patient, signed_note
):
    PainScoreFactory(
        patient=patient,
        source="intake",
        score=8,
        recorded_at=timezone.now() - dt.timedelta(days=40),
    )
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/dashboard/patients/{patient.pk}/")
    expect(page.locator("#progress")).to_have_attribute("data-state", "ready")
    _hidden_in_print(page)
    expect(page.locator("#chart-pain")).to_be_visible()
    expect(page.locator("#trigger-points")).to_contain_text("Upper trapezius")
    _pdf(page, "progress-report.pdf")
