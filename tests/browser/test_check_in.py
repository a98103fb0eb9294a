"""A patient answers the post-session check-in on a phone. Screenshots go to test-results/."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from patients.models import PainScore
from sessions.check_ins import check_in_issue
from tests.factories import PainScoreFactory, TreatmentSessionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "test-results"


def test_a_patient_answers_the_check_in_on_a_phone_and_the_link_then_closes(
    page, live_server, patient, therapist
):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    PainScoreFactory(patient=patient, session=session, region="neck_back", side="midline")
    _check_in, token = check_in_issue(session=session, actor_label="system")
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto(f"{live_server.url}/check-in/{token}/")
    page.get_by_label("Neck (back)").fill("12")
    page.get_by_label("Soreness from the treatment").fill("2")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#id_pain_neck_back_midline")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Soreness from the treatment")).to_have_value("2")
    page.get_by_label("Neck (back)").fill("3")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "check-in-phone.png"), full_page=True)
    page.get_by_role("button", name="Send").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    scores = PainScore.objects.filter(source="check_in").values_list("region", "score")
    assert list(scores) == [("neck_back", 3)]
    page.goto(f"{live_server.url}/check-in/{token}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("This link cannot be opened")
