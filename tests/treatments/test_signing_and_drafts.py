"""Issue 15, defects 1-4: signing needs the clinic's minimum content, one open draft per patient
and therapist (a discarded draft stays on record), a half-filled point autosaves, and a range of
motion is checked against its movement."""

import json
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connections
from django.urls import reverse

from clinic.models import AuditEvent
from patients.models import PainScore
from sessions import selectors
from sessions.models import (
    MobilityMeasurement,
    Movement,
    NoteRequirements,
    SignedRecordLocked,
    TreatmentSession,
)
from sessions.services import session_discard, session_sign, session_start, session_update
from tests.api_client import api_as
from tests.factories import PainScoreFactory, TreatmentSessionFactory, TriggerPointFactory

pytestmark = pytest.mark.django_db

PAIN_BEFORE = {"source": "pre_session", "region": "neck_back", "side": "right", "score": 6}
UNRATED_POINT = {
    "muscle": "upper-trapezius",
    "side": "left",
    "chart_view": "back",
    "x": 0.6,
    "y": 0.16,
}


def _draft(client, session, payload):
    return client.post(
        reverse("session_draft", args=[session.pk]),
        data=json.dumps(payload),
        content_type="application/json",
    )


# --- 1. signing needs the clinic's minimum content ---------------------------------------------


def test_an_empty_note_is_not_signed_and_each_missing_part_is_named(patient, therapist):
    session = session_start(patient=patient, therapist=therapist)
    with pytest.raises(ValidationError) as caught:
        session_sign(session=session, user=therapist)
    assert caught.value.message_dict == {
        "subjective": [
            "Write at least one part of the SOAP note (subjective, objective, assessment or plan)."
        ],
        "pain.pre_session": ["Rate the pain before the session (or tick “unable to rate”)."],
    }
    assert not TreatmentSession.objects.get(pk=session.pk).is_signed

    # Autosave keeps accepting the incomplete draft; once complete, it signs.
    session_update(session=session, user=therapist, fields={"plan": "Weekly."})
    session_update(session=session, user=therapist, pain=[PAIN_BEFORE])
    assert session_sign(session=session, user=therapist).is_signed


def test_unable_to_rate_counts_as_an_answer_for_the_pain_before(patient, therapist):
    session = session_start(patient=patient, therapist=therapist)
    unrated = {**PAIN_BEFORE, "score": None, "unable_to_rate": True}
    session_update(session=session, user=therapist, fields={"objective": "x"}, pain=[unrated])
    assert session_sign(session=session, user=therapist).is_signed


def test_a_clinic_sets_its_own_minimum(patient, therapist):
    NoteRequirements.objects.create(
        clinic=patient.clinic,
        soap_required=False,
        pain_before_required=False,
        pain_after_required=True,
    )
    session = session_start(patient=patient, therapist=therapist)
    with pytest.raises(ValidationError) as caught:
        session_sign(session=session, user=therapist)
    assert list(caught.value.message_dict) == ["pain.post_session"]


def test_the_api_and_the_page_answer_400_with_what_is_missing(client, patient, therapist):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist, subjective="")
    answer = api_as(therapist).post(f"/api/v1/sessions/{session.pk}/sign/", {}, format="json")
    assert answer.status_code == 400
    assert set(answer.json()) == {"subjective", "pain.pre_session"}

    client.force_login(therapist)
    page = client.post(reverse("session_sign", args=[session.pk]))
    assert page.status_code == 400
    assert "Rate the pain before the session" in page.content.decode()
    assert page.context["page_data"]["sign_errors"].keys() == {"subjective", "pain.pre_session"}
    assert not TreatmentSession.objects.get(pk=session.pk).is_signed


# --- 3. a half-filled trigger point ------------------------------------------------------------


def test_a_point_without_tenderness_autosaves_and_signing_asks_for_it_in_the_clinics_words(
    client, patient, therapist
):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist, ready_to_sign=True)
    rated = {**UNRATED_POINT, "side": "right", "tenderness": 5}
    client.force_login(therapist)
    assert _draft(client, session, {"trigger_points": [rated, UNRATED_POINT]}).status_code == 200
    api = api_as(therapist)
    patched = api.patch(
        f"/api/v1/sessions/{session.pk}/",
        {"trigger_points": [rated, UNRATED_POINT]},
        format="json",
    )
    assert patched.status_code == 200, patched.json()
    assert session.trigger_points.filter(tenderness__isnull=True).count() == 1

    answer = api.post(f"/api/v1/sessions/{session.pk}/sign/", {}, format="json")
    assert answer.status_code == 400
    assert answer.json() == {
        "trigger_points.1.tenderness": [
            "Trigger point 2 (upper trapezius, left): rate its tenderness."
        ]
    }


# --- 2. one open draft; discarding -------------------------------------------------------------


def test_starting_again_continues_the_open_draft_unless_another_is_asked_for(
    client, patient, therapist
):
    first = session_start(patient=patient, therapist=therapist)
    assert session_start(patient=patient, therapist=therapist) == first
    client.force_login(therapist)
    url = reverse("session_new") + f"?patient={patient.pk}"
    assert "Continue the draft" in client.get(url).content.decode()
    assert client.post(url).url == reverse("session_detail", args=[first.pk])
    second = client.post(url, {"another": "yes"})
    assert TreatmentSession.objects.filter(patient=patient).count() == 2
    assert second.url != reverse("session_detail", args=[first.pk])

    api = api_as(therapist)
    assert api.post("/api/v1/sessions/", {"patient": patient.pk}, format="json").status_code == 200
    another = api.post("/api/v1/sessions/", {"patient": patient.pk, "another": True}, format="json")
    assert another.status_code == 201
    assert TreatmentSession.objects.filter(patient=patient).count() == 3


def test_a_discarded_draft_leaves_the_lists_and_charts_but_stays_on_record(
    client, patient, therapist
):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    PainScoreFactory(patient=patient, session=session, recorded_at=session.started_at)
    TriggerPointFactory(session=session)
    client.force_login(therapist)
    answer = client.post(reverse("session_discard", args=[session.pk]))
    assert answer.url == reverse("patient_chart", args=[patient.pk])

    session.refresh_from_db()
    assert session.is_discarded and session.discarded_by == therapist
    assert session.subjective  # the row and its note stay
    assert AuditEvent.objects.filter(
        action="discard", actor=therapist, object_id=str(session.pk), patient_id=patient.pk
    ).exists()
    assert not PainScore.objects.filter(session=session).exists()
    assert not session.trigger_points.exists()
    assert selectors.open_draft(patient=patient, therapist=therapist) is None
    assert not selectors.unsigned_drafts(user=therapist).exists()
    assert not selectors.patient_sessions(patient=patient).exists()
    listed = api_as(therapist).get("/api/v1/sessions/", {"patient": patient.pk}).json()
    assert listed["results"] == []
    page = client.get(reverse("session_detail", args=[session.pk]))
    assert "This draft was discarded" in page.content.decode()
    assert not page.context["editable"]
    # A discarded draft takes no more autosaves.
    assert _draft(client, session, {"plan": "x"}).status_code == 400


def test_a_signed_note_is_never_discarded(client, patient, therapist):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist, ready_to_sign=True)
    session_sign(session=session, user=therapist)
    with pytest.raises(SignedRecordLocked):
        session_discard(session=session, user=therapist)
    api = api_as(therapist)
    assert api.post(f"/api/v1/sessions/{session.pk}/discard/").status_code == 409
    client.force_login(therapist)
    page = client.post(reverse("session_discard", args=[session.pk]), follow=True)
    assert "A signed note is never discarded" in page.content.decode()
    assert not TreatmentSession.objects.get(pk=session.pk).is_discarded


def test_only_the_author_discards_a_draft(patient, therapist, manager):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    assert api_as(manager).post(f"/api/v1/sessions/{session.pk}/discard/").status_code == 403
    assert not TreatmentSession.objects.get(pk=session.pk).is_discarded


# --- 4. range of motion against the movement ---------------------------------------------------


def test_a_range_beyond_the_movements_maximum_is_a_field_error_on_page_and_api(
    client, patient, therapist
):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    rom = {"movement": "ankle-dorsiflexion", "side": "right", "degrees": 200}
    client.force_login(therapist)
    page = _draft(client, session, {"mobility": [rom]})
    assert page.status_code == 400
    message = "Ankle Dorsiflexion reaches at most 35° (normal 20°): check the reading."
    assert page.json()["errors"] == {"mobility.0.degrees": [message]}
    api = api_as(therapist).patch(
        f"/api/v1/sessions/{session.pk}/", {"mobility": [rom]}, format="json"
    )
    assert api.status_code == 400 and api.json() == {"mobility.0.degrees": [message]}
    assert _draft(client, session, {"mobility": [{**rom, "degrees": 30}]}).status_code == 200


def test_every_movement_has_a_plausible_maximum_above_its_normal():
    movements = list(Movement.objects.all())
    assert movements
    assert all(m.normal_degrees < m.max_degrees <= 360 for m in movements)


def test_an_older_reading_beyond_the_maximum_still_shows_without_a_percentage(
    client, patient, therapist, manager
):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    # Saved before the check existed (no validation on this path).
    MobilityMeasurement.objects.create(
        session=session,
        patient=patient,
        movement=Movement.objects.get(code="ankle-dorsiflexion"),
        side="right",
        degrees=200,
        measured_at=session.started_at,
    )
    (row,) = selectors.mobility_trend(patient=patient)
    assert row["percent_of_normal"] is None
    listed = api_as(therapist).get("/api/v1/mobility/", {"patient": patient.pk}).json()
    assert listed["results"][0]["percent_of_normal"] is None
    client.force_login(manager)  # the record as read by someone other than its author
    page = client.get(reverse("session_detail", args=[session.pk])).content.decode()
    assert "200°" in page and "1000" not in page
    assert "beyond the plausible range: check the reading" in page


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_starts_at_once_make_one_draft(patient, therapist):
    """Two tabs (or a double tap) starting a session together: the second waits on the
    patient's row and continues the first's draft."""
    barrier = threading.Barrier(2)
    started = []

    def start():
        try:
            barrier.wait()
            started.append(session_start(patient=patient, therapist=therapist).pk)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(started) == 2 and len(set(started)) == 1
    assert TreatmentSession.objects.filter(patient=patient).count() == 1
