"""No serious or critical accessibility violation (axe-core, WCAG 2.1 A and AA) on the pages
staff and patients use, each at the size it is used at: staff on a desktop, patients on a
phone."""

import datetime as dt
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from clinic.tokens import token_hash
from scheduling import reminders
from scheduling.follow_ups import follow_up_create
from sessions.check_ins import check_in_issue
from sessions.services import session_sign, session_start, session_update
from tests.factories import PainScoreFactory, TriggerPointFactory
from tests.patients.intake_helpers import fill, invite

from .axe import axe_violations
from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTEFACTS = Path(__file__).resolve().parents[2] / "test-results"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def course(patient, therapist):
    """A signed session with pain, a trigger point and a later draft: every staff page has
    something to show."""
    started = timezone.now() - dt.timedelta(days=7)
    signed = session_start(patient=patient, therapist=therapist, started_at=started)
    session_update(session=signed, user=therapist, fields={"subjective": "Stiff neck."})
    PainScoreFactory(patient=patient, session=signed, recorded_at=started)
    TriggerPointFactory(session=signed)
    session_sign(session=signed, user=therapist)
    draft = session_start(patient=patient, therapist=therapist)
    return signed, draft


def _check(page, url: str, ready=None, screenshot: str = "") -> list[str]:
    page.goto(url)
    if ready is not None:
        expect(ready(page)).to_be_visible()
    if screenshot:
        ARTEFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTEFACTS / screenshot), full_page=True)
    return [f"{url}: {line}" for line in axe_violations(page)]


def test_staff_pages_have_no_serious_accessibility_violation(
    page, live_server, manager, therapist, patient, course
):
    signed, draft = course
    page.set_viewport_size(DESKTOP)
    found = _check(page, f"{live_server.url}/accounts/login/")
    sign_in(page, live_server, "carol")
    base = live_server.url
    progress = page.locator("#progress[data-state='ready']")
    dashboard = page.locator("#dashboard[data-state='ready']")
    for url, ready in (
        (f"{base}/", None),
        (f"{base}/patients/", None),
        (f"{base}/sessions/{signed.pk}/print", None),
        (f"{base}/dashboard/", lambda p: dashboard),
        (f"{base}/dashboard/patients/{patient.pk}/", lambda p: progress),
        (f"{base}/intakes/", None),
        (f"{base}/follow-ups/", None),
        (f"{base}/audit/", None),
        (f"{base}/no-such-page/", None),
    ):
        found += _check(page, url, ready)
    found += _check(page, f"{base}/patients/{patient.pk}/", screenshot="chart-1366.png")
    found += _check(page, f"{base}/sessions/{signed.pk}/", screenshot="signed-note-1366.png")
    # The recording page is its author's.
    page.context.clear_cookies()
    sign_in(page, live_server, "alice")
    found += _check(page, f"{base}/sessions/{draft.pk}/", lambda p: p.locator("#body-map"))
    assert not found, "\n".join(found)


def test_patient_pages_have_no_serious_accessibility_violation(
    page, live_server, clinic_a, front_desk, patient, course
):
    signed, _draft = course
    page.set_viewport_size(PHONE)
    token = invite(clinic=clinic_a, by=front_desk)
    fill(Client(), token)
    found = []
    for step in range(1, 11):
        found += _check(page, f"{live_server.url}/intake/{token}/?step={step}")

    _check_in, link = check_in_issue(session=signed, actor_label="system")
    found += _check(page, f"{live_server.url}/check-in/{link}/")

    patient.consents_to_email = True
    patient.save(update_fields=["consents_to_email"])
    follow_up = follow_up_create(
        patient=patient, due_at=timezone.now() + dt.timedelta(days=7), created_by=front_desk
    )
    row = follow_up.reminders.first() or pytest.fail("booking planned no reminder")
    raw = reminders.answer_token(row)
    row.answer_token_hash = token_hash(raw)
    row.save(update_fields=["answer_token_hash"])
    found += _check(page, f"{live_server.url}/follow-ups/reply/{raw}/")
    found += _check(page, f"{live_server.url}/intake/not-a-token/")
    assert not found, "\n".join(found)


def test_the_outcome_pages_on_a_phone_have_no_serious_accessibility_violation(
    page, live_server, manager, patient, course
):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, "carol")
    base = live_server.url
    found = _check(
        page, f"{base}/dashboard/", lambda p: p.locator("#dashboard[data-state='ready']")
    )
    found += _check(
        page,
        f"{base}/dashboard/patients/{patient.pk}/",
        lambda p: p.locator("#progress[data-state='ready']"),
    )
    found += _check(page, f"{base}/patients/{patient.pk}/")
    assert not found, "\n".join(found)
