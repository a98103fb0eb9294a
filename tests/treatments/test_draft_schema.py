"""One draft schema (sessions.serializers.SessionDraftSerializer) for the recording page's
autosave, the API's PATCH and the state the page starts from: same keys, same rules."""

import json

import pytest
from django.urls import reverse

from sessions.models import MobilityMeasurement, Movement, TreatmentSession
from tests.api_client import api_as
from tests.factories import PainScoreFactory, TreatmentSessionFactory, TriggerPointFactory

pytestmark = pytest.mark.django_db


def _page_save(client, session, payload):
    return client.post(
        reverse("session_draft", args=[session.pk]),
        data=json.dumps(payload),
        content_type="application/json",
    )


def _recorded(session: TreatmentSession) -> dict:
    return {
        "pain": list(session.pain_scores.values_list("source", "region", "score")),
        "points": list(
            session.trigger_points.values_list("muscle__slug", "tenderness", "hold_seconds")
        ),
        "mobility": list(session.mobility.values_list("movement__code", "degrees")),
        "plan": TreatmentSession.objects.get(pk=session.pk).plan,
    }


def _drafted(therapist, patient) -> TreatmentSession:
    session = TreatmentSessionFactory(patient=patient, therapist=therapist, plan="Stretch daily")
    PainScoreFactory(patient=patient, session=session, recorded_at=session.started_at, score=6)
    TriggerPointFactory(session=session, tenderness=7, hold_seconds=45)
    MobilityMeasurement.objects.create(
        session=session,
        patient=patient,
        movement=Movement.objects.order_by("code").first(),
        side="right",
        degrees=15,  # within the first movement's (ankle dorsiflexion) plausible range
        measured_at=session.started_at,
    )
    return session


def test_the_page_starts_from_the_state_the_api_and_the_page_both_accept(
    client, therapist, patient
):
    session = _drafted(therapist, patient)
    client.force_login(therapist)
    state = client.get(reverse("session_detail", args=[session.pk])).context["page_data"]["state"]
    assert state["trigger_points"][0]["muscle"] == "upper-trapezius"
    assert state["mobility"][0]["movement"] == Movement.objects.order_by("code").first().code
    assert state["plan"] == "Stretch daily" and "fields" not in state
    before = _recorded(session)

    page = _page_save(client, session, json.loads(json.dumps(state)))
    api = api_as(therapist).patch(f"/api/v1/sessions/{session.pk}/", state, format="json")

    assert page.status_code == 200, page.json()
    assert api.status_code == 200, api.json()
    assert _recorded(session) == before


def test_the_page_and_the_api_write_the_same_draft_from_the_same_body(client, therapist, patient):
    body = {
        "plan": "Heat at home",
        "duration_minutes": 40,
        "pain": [{"source": "pre_session", "region": "neck_back", "side": "right", "score": 5}],
        "trigger_points": [
            {
                "muscle": "upper-trapezius",
                "side": "left",
                "chart_view": "back",
                "x": 0.6,
                "y": 0.2,
                "kind": "active",
                "tenderness": 6,
                "hold_seconds": 30,
                "pressure": 5,
                "released": False,
                "technique": "ischemic_compression",
                "repetitions": 1,
            }
        ],
    }
    by_page = TreatmentSessionFactory(patient=patient, therapist=therapist)
    by_api = TreatmentSessionFactory(patient=patient, therapist=therapist)
    client.force_login(therapist)

    assert _page_save(client, by_page, body).status_code == 200
    assert (
        api_as(therapist).patch(f"/api/v1/sessions/{by_api.pk}/", body, format="json").status_code
        == 200
    )

    assert _recorded(by_page) == _recorded(by_api)
    assert _recorded(by_page)["points"] == [("upper-trapezius", 6, 30)]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "signed"}, "status"),
        ({"trigger_points": [{"evil": 1}]}, "trigger_points.0.evil"),
        ({"trigger_points": [{"muscle_id": 1}]}, "trigger_points.0.muscle_id"),
        (
            {"pain": [{"source": "pre_session", "region": "neck_back", "side": "right"}]},
            "pain.0.score",
        ),
        ({"mobility": [{}] * 201}, "mobility"),
    ],
)
def test_the_page_and_the_api_refuse_the_same_bad_draft_on_the_same_field(
    client, therapist, patient, body, field
):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    client.force_login(therapist)

    page = _page_save(client, session, body)
    api = api_as(therapist).patch(f"/api/v1/sessions/{session.pk}/", body, format="json")

    assert page.status_code == api.status_code == 400
    assert field in page.json()["errors"]
    name, *rest = field.split(".")
    answer = api.json()[name]
    if rest:
        answer = answer[rest[0]][rest[1]]  # DRF keys list errors by index
    assert answer
