"""The session pages' server side: the draft endpoint, signing, addenda, follow-ups, scoping and
the chart's fixed query count."""

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from patients.models import IntakeSubmission
from scheduling.models import FollowUp
from sessions.models import TreatmentSession
from tests.factories import PainScoreFactory, TreatmentSessionFactory, TriggerPointFactory

pytestmark = pytest.mark.django_db


def _draft(client, session, payload, **extra):
    return client.post(
        reverse("session_draft", args=[session.pk]),
        data=payload if isinstance(payload, str | bytes) else json.dumps(payload),
        content_type="application/json",
        **extra,
    )


def _point(**overrides):
    return {
        "muscle": "upper-trapezius",
        "side": "right",
        "chart_view": "back",
        "x": 0.4,
        "y": 0.16,
        "kind": "active",
        "tenderness": "6",
        "hold_seconds": "30",
        "pressure": "5",
        "released": True,
        "technique": "ischemic_compression",
        "repetitions": "1",
        "referral_pattern": "",
        "local_twitch_response": False,
        "pressure_pain_threshold": None,
        **overrides,
    }


def test_the_draft_endpoint_saves_the_page_state(client, therapist, patient):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    client.force_login(therapist)
    response = _draft(
        client,
        session,
        {
            "subjective": "Better",
            "duration_minutes": "45",
            "pain": [
                {
                    "source": "pre_session",
                    "region": "neck_back",
                    "side": "right",
                    "score": "6",
                    "unable_to_rate": False,
                }
            ],
            "trigger_points": [_point()],
            "mobility": [],
        },
    )
    assert response.status_code == 200, response.json()
    session.refresh_from_db()
    assert session.subjective == "Better" and session.duration_minutes == 45
    assert session.trigger_points.get().hold_seconds == 30
    assert session.pain_scores.get().score == 6


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (
            {
                "pain": [
                    {"source": "pre_session", "region": "neck_back", "side": "right", "score": "11"}
                ]
            },
            "pain.0.score",
        ),
        (lambda: {"trigger_points": [_point(hold_seconds="-5")]}, "trigger_points.0.hold_seconds"),
        (lambda: {"trigger_points": [_point(muscle="no-such-muscle")]}, "trigger_points.0.muscle"),
        (lambda: {"trigger_points": [_point(x="abc")]}, "trigger_points.0.x"),
        (
            {"pain": [{"source": "pre_session", "region": "neck_back", "side": "right"}]},
            "pain.0.score",
        ),
        (
            {"pain": [{"source": "pre_session", "region": "nowhere", "side": "right", "score": 3}]},
            "pain.0.region",
        ),
        (
            {"pain": [{"source": "check_in", "region": "neck_back", "side": "right", "score": 3}]},
            "pain",
        ),
        ({"trigger_points": [{"evil": 1}]}, "trigger_points.0.evil"),
        ({"status": "signed"}, "status"),
        ({"duration_minutes": "9999"}, "duration_minutes"),
        ({"mobility": "not a list"}, "mobility"),
        ([1, 2], "__all__"),
    ],
)
def test_bad_drafts_answer_400_per_field_and_write_nothing(
    client, therapist, patient, payload, field
):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    client.force_login(therapist)
    response = _draft(client, session, payload() if callable(payload) else payload)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not session.trigger_points.exists() and not session.pain_scores.exists()


def test_a_draft_that_is_not_json_answers_400(client, therapist, patient):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    client.force_login(therapist)
    assert _draft(client, session, b"{not json").status_code == 400
    assert _draft(client, session, b"\xff\xfe").status_code == 400


def test_only_the_author_edits_a_draft_and_a_signed_one_answers_409(
    client, therapist, manager, patient
):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist, ready_to_sign=True)
    client.force_login(manager)
    assert _draft(client, session, {"plan": "x"}).status_code == 403
    client.force_login(therapist)
    assert client.post(reverse("session_sign", args=[session.pk])).status_code == 302
    assert TreatmentSession.objects.get(pk=session.pk).is_signed
    assert _draft(client, session, {"plan": "x"}).status_code == 409


def test_front_desk_and_strangers_get_404_for_sessions(client, front_desk, stranger, patient):
    session = TreatmentSessionFactory(patient=patient)
    for user in (front_desk, stranger):
        client.force_login(user)
        assert client.get(reverse("session_detail", args=[session.pk])).status_code == 404
        assert _draft(client, session, {}).status_code == 404
        assert client.get(reverse("session_new") + f"?patient={patient.pk}").status_code == 404


def test_front_desk_sees_demographics_but_no_clinical_content_on_the_chart(
    client, front_desk, stranger, patient
):
    TreatmentSessionFactory(patient=patient, subjective="Secret history of neck pain")
    client.force_login(front_desk)
    page = client.get(reverse("patient_chart", args=[patient.pk])).content.decode()
    assert patient.full_name in page
    assert "Secret history" not in page and "chart-data" not in page
    client.force_login(stranger)
    assert client.get(reverse("patient_chart", args=[patient.pk])).status_code == 404


def test_signing_needs_the_red_flag_acknowledgement_and_stores_it(client, therapist, patient):
    IntakeSubmission.objects.create(
        clinic=patient.clinic,
        patient=patient,
        status="submitted",
        submitted_at=timezone.now(),
        consent_to_treatment=True,
        signed_at=timezone.now(),
        signature_name="Pat Example",
        red_flags=[{"code": "anticoagulants", "details": "warfarin"}],
    )
    session = TreatmentSessionFactory(patient=patient, therapist=therapist, ready_to_sign=True)
    client.force_login(therapist)
    page = client.get(reverse("session_detail", args=[session.pk])).content.decode()
    assert "Anticoagulants or a bleeding disorder" in page and "warfarin" in page
    client.post(reverse("session_sign", args=[session.pk]))
    assert not TreatmentSession.objects.get(pk=session.pk).is_signed
    client.post(reverse("session_sign", args=[session.pk]), {"acknowledge_red_flags": "on"})
    signed = TreatmentSession.objects.get(pk=session.pk)
    assert signed.is_signed and signed.red_flags_acknowledged


def test_an_addendum_without_a_reason_is_refused_with_the_text_kept(client, therapist, patient):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist, ready_to_sign=True)
    client.force_login(therapist)
    client.post(reverse("session_sign", args=[session.pk]))
    response = client.post(
        reverse("addendum_create", args=[session.pk]), {"kind": "correction", "text": "Kept"}
    )
    assert response.status_code == 400
    assert "Kept" in response.content.decode() and not session.addenda.exists()


def test_a_follow_up_is_planned_from_the_session(client, therapist, patient):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    client.force_login(therapist)
    when = timezone.localtime(timezone.now(), patient.clinic.zone) + dt.timedelta(days=7)
    client.post(
        reverse("follow_up_plan", args=[session.pk]),
        {"due_at": when.strftime("%Y-%m-%dT%H:%M"), "kind": "appointment"},
    )
    follow_up = FollowUp.objects.get(session=session)
    # Typed in the clinic's zone (America/Toronto), stored as that instant.
    assert abs(follow_up.due_at - when) < dt.timedelta(minutes=1)
    client.post(reverse("follow_up_plan", args=[session.pk]), {"due_at": "not a date"})
    assert FollowUp.objects.count() == 1


@pytest.mark.parametrize("sessions", [2, 200])
def test_the_chart_renders_with_a_fixed_number_of_queries(
    client, therapist, patient, sessions, django_assert_max_num_queries
):
    created = TreatmentSessionFactory.create_batch(sessions, patient=patient, therapist=therapist)
    for session in created:
        TriggerPointFactory(session=session)
        PainScoreFactory(patient=patient, session=session)
    client.force_login(therapist)
    # 3 of them write the audit row; 5 the trigger-point trends section (settings, PPT,
    # factors, forecasts, n-of-1), each one statement whatever the history's length
    with django_assert_max_num_queries(21):
        response = client.get(reverse("patient_chart", args=[patient.pk]))
    assert response.status_code == 200
    assert response.content.decode().count('class="tp-dot') == sessions


def test_the_patient_list_searches_by_name_and_date_of_birth(
    client, front_desk, patient, patient_b
):
    client.force_login(front_desk)
    page = client.get(reverse("patient_list"), {"q": "exam"}).content.decode()
    assert "Example, Pat" in page and "Other" not in page
    page = client.get(reverse("patient_list"), {"q": "1980-05-17"}).content.decode()
    assert "Example, Pat" in page and "Person, Other" not in page
