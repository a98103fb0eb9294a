"""The REST API for sessions, their parts, follow-ups and reminders."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from patients.models import PainScore
from sessions.models import TreatmentSession
from tests.api_client import api_as
from tests.factories import (
    FollowUpFactory,
    PainScoreFactory,
    ReminderFactory,
    TreatmentSessionFactory,
    TriggerPointFactory,
)

pytestmark = pytest.mark.django_db

POINT = {
    "muscle": "upper-trapezius",
    "side": "right",
    "chart_view": "back",
    "x": 0.4,
    "y": 0.16,
    "tenderness": 7,
    "hold_seconds": 30,
    "pressure": 5,
    "released": True,
}
PAIN = [
    {"source": "pre_session", "region": "neck_back", "side": "right", "score": 7},
    {"source": "post_session", "region": "neck_back", "side": "right", "score": 4},
]


def test_a_therapist_starts_saves_signs_and_amends_a_session_through_the_api(patient, therapist):
    api = api_as(therapist)
    created = api.post("/api/v1/sessions/", {"patient": patient.pk}, format="json")
    assert created.status_code == 201, created.json()
    url = f"/api/v1/sessions/{created.json()['id']}/"

    saved = api.patch(
        url,
        {
            "subjective": "Neck stiff",
            "pain": PAIN,
            "trigger_points": [POINT],
            "mobility": [{"movement": "cervical-rotation", "side": "left", "degrees": 60}],
        },
        format="json",
    )
    assert saved.status_code == 200, saved.json()
    assert saved.json()["subjective"] == "Neck stiff"
    points = api.get("/api/v1/trigger-points/", {"session": created.json()["id"]}).json()
    assert [p["muscle"] for p in points["results"]] == ["upper-trapezius"]
    mobility = api.get("/api/v1/mobility/", {"patient": patient.pk}).json()["results"]
    assert mobility[0]["percent_of_normal"] == pytest.approx(75.0)  # 60 of a normal 80

    signed = api.post(f"{url}sign/", {}, format="json")
    assert signed.status_code == 200 and signed.json()["status"] == "signed"

    refused = api.patch(url, {"subjective": "rewritten", "pain": []}, format="json")
    assert refused.status_code == 409
    assert TreatmentSession.objects.get().subjective == "Neck stiff"
    assert PainScore.objects.count() == 2

    amended = api.post(
        f"{url}addenda/", {"reason": "Typo", "text": "Left, not right."}, format="json"
    )
    assert amended.status_code == 201
    assert api.get(url).json()["addenda"][0]["text"] == "Left, not right."


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"trigger_points": [{**POINT, "tenderness": 11}]}, "trigger_points"),
        ({"trigger_points": [{**POINT, "muscle": "no-such-muscle"}]}, "trigger_points"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"pain": [{**PAIN[0], "source": "check_in"}]}, "pain"),
        ({"started_at": "not a date"}, "started_at"),
        ({"pain": "seven"}, "pain"),
    ],
)
def test_bad_session_input_answers_400_with_the_field_named(patient, therapist, payload, field):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    answer = api_as(therapist).patch(f"/api/v1/sessions/{session.pk}/", payload, format="json")
    assert answer.status_code == 400
    assert field in answer.json()


def test_addenda_to_a_draft_are_refused_with_a_field_message(patient, therapist):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    answer = api_as(therapist).post(
        f"/api/v1/sessions/{session.pk}/addenda/", {"reason": "x", "text": "y"}, format="json"
    )
    assert answer.status_code == 400 and "session" in answer.json()


@pytest.mark.parametrize(
    "endpoint", ["sessions", "pain-scores", "trigger-points", "mobility", "intakes"]
)
def test_front_desk_is_refused_every_clinical_endpoint(front_desk, endpoint):
    assert api_as(front_desk).get(f"/api/v1/{endpoint}/").status_code == 403


def test_another_clinics_session_answers_404_to_read_and_write(patient, therapist, stranger):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    api = api_as(stranger)
    assert api.get(f"/api/v1/sessions/{session.pk}/").status_code == 404
    assert (
        api.patch(f"/api/v1/sessions/{session.pk}/", {"plan": "x"}, format="json").status_code
        == 404
    )
    started = api.post("/api/v1/sessions/", {"patient": patient.pk}, format="json")
    assert started.status_code == 400 and "patient" in started.json()


def test_requests_without_a_valid_token_answer_401(client):
    assert client.get("/api/v1/sessions/").status_code == 401
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert api.get("/api/v1/patients/").status_code == 401


def test_front_desk_books_a_follow_up_and_sees_reminders_but_no_sessions(
    patient, front_desk, therapist
):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    api = api_as(front_desk)
    due = (timezone.now() + dt.timedelta(days=7)).isoformat()
    booked = api.post(
        "/api/v1/follow-ups/",
        {"patient": patient.pk, "due_at": due, "therapist": therapist.pk},
        format="json",
    )
    assert booked.status_code == 201, booked.json()
    assert booked.json()["created_by"] == front_desk.pk
    with_session = api.post(
        "/api/v1/follow-ups/",
        {"patient": patient.pk, "due_at": due, "session": session.pk},
        format="json",
    )
    assert with_session.status_code == 400 and "session" in with_session.json()
    ReminderFactory(follow_up=FollowUpFactory(patient=patient))
    assert api.get("/api/v1/reminders/").json()["count"] == 1


def test_follow_ups_of_another_clinic_cannot_be_booked(patient_b, front_desk):
    answer = api_as(front_desk).post(
        "/api/v1/follow-ups/",
        {"patient": patient_b.pk, "due_at": timezone.now().isoformat()},
        format="json",
    )
    assert answer.status_code == 400 and "patient" in answer.json()


def test_lists_filter_order_and_paginate(patient, therapist):
    now = timezone.now()
    for days, source, score in [(3, "pre_session", 7), (2, "check_in", 5), (1, "check_in", 3)]:
        PainScoreFactory(
            patient=patient, source=source, score=score, recorded_at=now - dt.timedelta(days=days)
        )
    api = api_as(therapist)
    query = {"source": "check_in", "ordering": "-recorded_at", "page_size": 1}
    page = api.get("/api/v1/pain-scores/", query).json()
    assert page["count"] == 2
    assert [row["score"] for row in page["results"]] == [3]
    assert api.get("/api/v1/pain-scores/", {"source": "nonsense"}).status_code == 400


LISTS = [
    "sessions",
    "pain-scores",
    "trigger-points",
    "mobility",
    "follow-ups",
    "reminders",
    "patients",
    "intakes",
]


def _grow(patient, therapist, times):
    for _ in range(times):
        session = TreatmentSessionFactory(patient=patient, therapist=therapist)
        session.addenda.create(author=therapist, reason="r", text="t")
        TriggerPointFactory(session=session)
        PainScoreFactory(patient=patient, session=session)
        ReminderFactory(follow_up=FollowUpFactory(patient=patient, session=session))


@pytest.mark.parametrize("endpoint", LISTS)
def test_list_endpoints_keep_a_fixed_query_count_as_rows_grow(
    patient, therapist, endpoint, django_assert_max_num_queries
):
    api = api_as(therapist)
    for times in (1, 5):
        _grow(patient, therapist, times)
        with django_assert_max_num_queries(11):  # 5 of them write the audit row
            assert api.get(f"/api/v1/{endpoint}/").status_code == 200
