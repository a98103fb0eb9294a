"""A patient fills the NDI on a phone in Spanish from a link; a therapist re-rates PSFS during a
session on a tablet. Screenshots go to test-results/."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from outcomes.models import Instrument, InstrumentResponse
from outcomes.services import questionnaire_schedule
from patients.models import FunctionalScore, PsfsCourse
from tests.browser.axe import axe_violations
from tests.browser.conftest import sign_in
from tests.factories import TreatmentSessionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "test-results"


def test_a_patient_fills_the_ndi_on_a_phone_in_spanish_from_a_link(
    page, live_server, patient, therapist
):
    patient.preferred_language = "es"
    patient.save()
    ndi = Instrument.objects.get(clinic=None, code="ndi")
    _request, token = questionnaire_schedule(
        patient=patient, instrument=ndi, occasion="interval", actor=therapist
    )
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/questionnaire/{token}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Índice de Discapacidad Cervical")
    # Each section is a group of radio buttons; the patient taps one statement in each.
    for number, statement in enumerate(
        [
            "El dolor es moderado en este momento.",
            "Puedo cuidarme con normalidad, pero me aumenta el dolor.",
            "Puedo levantar objetos pesados, pero me aumenta el dolor.",
            "Puedo leer todo lo que quiera con un ligero dolor de cuello.",
            "Tengo dolores de cabeza moderados y poco frecuentes.",
            "Me cuesta bastante concentrarme cuando quiero.",
            "Solo puedo hacer mi trabajo habitual, nada más.",
            "Puedo conducir sin ningún dolor de cuello.",
            "Mi sueño está algo alterado (1-2 horas sin dormir).",
        ],
        1,
    ):
        page.get_by_role("group", name=f"{number}.").get_by_label(statement).check()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    assert axe_violations(page) == []
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "ndi-phone-es.png"), full_page=True)
    page.get_by_role("button", name="Enviar").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Gracias")
    response = InstrumentResponse.objects.get()
    # 2+1+1+1+2+2+1+0+2 = 12 over 9 answered, prorated to 10 items: 13.33
    assert (str(response.total), response.answered, response.language) == ("13.33", 9, "es")
    page.goto(f"{live_server.url}/questionnaire/{token}/")
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Índice de Discapacidad Cervical")


def test_a_therapist_rerates_psfs_during_a_session_on_a_tablet(
    page, live_server, patient, therapist
):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    FunctionalScore.objects.create(
        patient=patient, recorded_at=session.started_at, source="intake", item=1,
        activity="Putting on socks", score=3,
    )  # fmt: skip
    page.set_viewport_size({"width": 1024, "height": 768})
    sign_in(page, live_server, therapist.username)
    page.goto(f"{live_server.url}/sessions/{session.pk}/")
    page.get_by_role("link", name="Outcome measures (PSFS, indices)").click()
    page.get_by_label("Putting on socks").fill("7")
    page.get_by_text("Add an activity you find hard").click()
    page.get_by_label("Another activity you find hard").first.fill("Gardening")
    page.get_by_label("Its rating").first.fill("5")
    assert axe_violations(page) == []
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "psfs-rerating-tablet.png"), full_page=True)
    page.get_by_role("button", name="Save the re-rating").click()

    expect(page.get_by_text("PSFS re-rating saved.")).to_be_visible()
    rated = FunctionalScore.objects.filter(session=session).order_by("item")
    assert [(s.activity, s.score) for s in rated] == [("Putting on socks", 7), ("Gardening", 5)]
    course = PsfsCourse.objects.get(patient=patient)
    assert (float(course.baseline), float(course.latest)) == (3.0, 6.0)  # mean of 7 and 5
