"""The patient's questionnaire link and the therapist's in-session page, through the client."""

import pytest

from outcomes.models import Instrument, InstrumentResponse, QuestionnaireRequest
from outcomes.services import questionnaire_schedule
from patients.models import FunctionalScore
from tests.factories import TreatmentSessionFactory

pytestmark = pytest.mark.django_db


def ndi():
    return Instrument.objects.get(clinic=None, code="ndi")


def test_a_patient_fills_the_ndi_from_a_link_once(client, patient, therapist):
    request, token = questionnaire_schedule(
        patient=patient, instrument=ndi(), occasion="interval", actor=therapist
    )
    page = client.get(f"/questionnaire/{token}/")
    assert page.status_code == 200 and b"Neck Disability Index" in page.content
    answers = {f"item_{n}": "2" for n in range(1, 10)}  # item 10 left out: prorated
    done = client.post(f"/questionnaire/{token}/", answers)
    assert done.status_code == 302
    response = InstrumentResponse.objects.get()
    assert (response.total, response.answered) == (20, 9)  # 18 / 9 x 10
    request.refresh_from_db()
    assert request.response_id == response.pk and request.completed_at is not None
    assert client.get(f"/questionnaire/{token}/").status_code == 404  # used


def test_a_spanish_patient_reads_the_questionnaire_in_spanish(client, patient, therapist):
    patient.preferred_language = "es"
    patient.save()
    _, token = questionnaire_schedule(
        patient=patient, instrument=ndi(), occasion="interval", actor=therapist
    )
    page = client.get(f"/questionnaire/{token}/")
    assert "Índice de Discapacidad Cervical" in page.content.decode()
    assert page.headers["Content-Language"] == "es"


def test_an_answer_outside_the_options_is_refused_on_its_item(client, patient, therapist):
    _, token = questionnaire_schedule(
        patient=patient, instrument=ndi(), occasion="interval", actor=therapist
    )
    page = client.post(f"/questionnaire/{token}/", {"item_1": "9"})
    assert page.status_code == 400
    assert not InstrumentResponse.objects.exists()


def test_unknown_tokens_get_the_friendly_page(client):
    assert client.get("/questionnaire/not-a-token/").status_code == 404


def test_a_therapist_rerates_psfs_in_session(client, patient, therapist):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    FunctionalScore.objects.create(
        patient=patient, recorded_at=session.started_at, source="intake", item=1,
        activity="Putting on socks", score=3,
    )  # fmt: skip
    client.force_login(therapist)
    page = client.get(f"/sessions/{session.pk}/outcomes/")
    assert page.status_code == 200 and b"Putting on socks" in page.content
    saved = client.post(
        f"/sessions/{session.pk}/outcomes/",
        {"action": "psfs", "rating_0": "7", "new_activity_0": "Gardening", "new_rating_0": "4"},
    )
    assert saved.status_code == 302
    latest = FunctionalScore.objects.filter(session=session).order_by("item")
    assert [(s.activity, s.score) for s in latest] == [("Putting on socks", 7), ("Gardening", 4)]


def test_a_therapist_fills_an_index_in_session(client, patient, therapist):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    client.force_login(therapist)
    url = f"/sessions/{session.pk}/outcomes/?instrument={ndi().pk}"
    assert client.get(url).status_code == 200
    answers = {f"item_{n}": "1" for n in range(1, 11)}
    assert (
        client.post(url, {"action": "index", "occasion": "session", **answers}).status_code == 302
    )
    assert InstrumentResponse.objects.get(session=session).total == 10


def test_the_session_page_is_scoped(client, patient, therapist, stranger, front_desk):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    for user in (stranger, front_desk):
        client.force_login(user)
        assert client.get(f"/sessions/{session.pk}/outcomes/").status_code == 404
    client.force_login(therapist)
    assert client.get("/sessions/999999/outcomes/").status_code == 404
    assert client.get(f"/sessions/{session.pk}/outcomes/?instrument=999999").status_code == 404


def test_a_therapist_sends_a_discharge_questionnaire_and_sees_its_link_once(
    client, patient, therapist
):
    patient.email, patient.consents_to_email = "pat@example.com", True
    patient.save()
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    client.force_login(therapist)
    page = client.post(
        f"/sessions/{session.pk}/outcomes/send",
        {"instrument": ndi().pk, "occasion": "discharge"},
        follow=True,
    )
    assert b"/questionnaire/" in page.content
    request = QuestionnaireRequest.objects.get(patient=patient)
    assert request.occasion == "discharge"
    assert request.follow_up.reminders.get().kind == "questionnaire"
    again = client.get(f"/sessions/{session.pk}/outcomes/")
    assert b"/questionnaire/" not in again.content  # shown once
    wrong = client.post(f"/sessions/{session.pk}/outcomes/send", {"instrument": "999999"})
    assert wrong.status_code == 404


def test_the_chart_graphs_each_instrument_with_its_mcid_band(client, patient, therapist):
    from outcomes.services import response_record

    response_record(actor=therapist, patient=patient, instrument=ndi(), answers=ndi_all(3))
    response_record(actor=therapist, patient=patient, instrument=ndi(), answers=ndi_all(1))
    client.force_login(therapist)
    page = client.get(f"/patients/{patient.pk}/")
    html = page.content.decode()
    assert "Function and disability questionnaires" in html
    assert 'id="instrument-data"' in html and "js/instrument_chart.js" in html
    series = page.context["series"]
    assert [
        (s["code"], s["baseline"], s["mcid"], [p["y"] for p in s["points"]]) for s in series
    ] == [("ndi", 30.0, 5.0, [30.0, 10.0])]


def ndi_all(value):
    return {str(n): value for n in range(1, 11)}
