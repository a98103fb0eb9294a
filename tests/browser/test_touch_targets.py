"""Issue 15: touch targets at least 44 px (WCAG 2.5.5) on the pages used on phones and tablets
beside the recording page: every intake step and the check-in on a phone, the patient's chart on
a tablet. Text links inside a sentence are exempt, as WCAG allows; so are the body chart's
outlines (their sizes are measured in test_anatomical_chart.py)."""

import pytest
from django.test import Client
from playwright.sync_api import expect

from sessions.check_ins import check_in_issue
from tests.factories import PainScoreFactory, TreatmentSessionFactory, TriggerPointFactory
from tests.patients.intake_helpers import fill, invite

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}
TABLET = {"width": 1024, "height": 768}
TOUCH = 44  # px


def too_small(page, scope: str = "main") -> list[str]:
    """The controls in `scope` a finger cannot hit comfortably: form fields, buttons, the labels
    of radio buttons and checkboxes (the label is what is tapped), and links that stand alone
    (a nav item, a button-like link), each smaller than 44 px in height or width."""
    return page.evaluate(
        """([scope, least]) => {
            const root = document.querySelector(scope) || document.body;
            const controls = [...root.querySelectorAll(
                'input:not([type=checkbox]):not([type=radio]):not([type=hidden]), select,' +
                'textarea, button, label:has(> input[type=radio]),' +
                'label:has(> input[type=checkbox]),' +
                'a')];
            const inSentence = (a) => a.tagName === 'A' && a.closest('p, li, td, dd') &&
                a.closest('p, li, td, dd').textContent.trim() !== a.textContent.trim();
            return controls
                .filter((el) => el.offsetParent !== null && !inSentence(el))
                .filter((el) => !el.closest('.body-chart svg'))
                .map((el) => ({el, box: el.getBoundingClientRect()}))
                .filter(({box}) => box.height < least - 0.5 || box.width < least - 0.5)
                .map(({el, box}) => `${el.tagName}#${el.id}.${el.className} "${
                    el.textContent.trim().slice(0, 30)}" ${Math.round(box.width)}x${
                    Math.round(box.height)}`);
        }""",
        [scope, TOUCH],
    )


def test_every_intake_step_has_finger_sized_controls_on_a_phone(
    browser, live_server, clinic_a, front_desk
):
    token = invite(clinic=clinic_a, by=front_desk)
    fill(Client(), token, steps=range(1, 10))  # every step answered: each one can be opened
    phone = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    page = phone.new_page()
    found = {}
    for step in range(1, 11):
        page.goto(f"{live_server.url}/intake/{token}/?step={step}")
        expect(page.get_by_text(f"Step {step} of 10")).to_be_visible()
        if small := too_small(page):
            found[step] = small
    phone.close()
    assert found == {}


def test_the_check_in_has_finger_sized_controls_on_a_phone(page, live_server, patient, therapist):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    PainScoreFactory(patient=patient, session=session, region="neck_back", side="midline")
    _check_in, token = check_in_issue(session=session, actor_label="system")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/check-in/{token}/")
    expect(page.get_by_label("Neck (back)")).to_be_visible()
    assert too_small(page) == []


def test_the_patients_chart_has_finger_sized_controls_on_a_tablet(
    page, live_server, patient, therapist
):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    TriggerPointFactory(session=session)
    PainScoreFactory(patient=patient, session=session)
    page.set_viewport_size(TABLET)
    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Example")
    assert too_small(page) == []
