"""Issue 15, defects 5 and 6: the signed note shows everything recorded, with a read-only body
map; a correcting addendum amends a point's muscle, side or scores, the original stays visible,
and the history, the derived visits and the reports use the correction."""

import pytest
from django.db import IntegrityError, InternalError, ProgrammingError, transaction
from django.urls import reverse

from sessions import selectors
from sessions.models import (
    MobilityMeasurement,
    Movement,
    Muscle,
    PointCorrection,
    TriggerPointVisit,
)
from sessions.services import addendum_add, session_sign
from tests.api_client import api_as
from tests.factories import TreatmentSessionFactory, TriggerPointFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed(patient, therapist):
    session = TreatmentSessionFactory(
        patient=patient, therapist=therapist, duration_minutes=45, ready_to_sign=True
    )
    TriggerPointFactory(
        session=session,
        side="right",
        tenderness=7,
        pressure_pain_threshold="2.50",
        referral_pattern="Up to the temple",
        repetitions=3,
    )
    MobilityMeasurement.objects.create(
        session=session,
        patient=patient,
        movement=Movement.objects.get(code="cervical-rotation"),
        side="left",
        degrees=60,
        method="inclinometer",
        measured_at=session.started_at,
    )
    return session_sign(session=session, user=therapist)


def test_the_signed_note_shows_everything_recorded_with_a_read_only_body_map(
    client, therapist, signed
):
    client.force_login(therapist)
    page = client.get(reverse("session_detail", args=[signed.pk])).content.decode()
    for shown in ("45 minutes", "2.50", "Up to the temple", "Inclinometer", "75 %", "80°"):
        assert shown in page, shown
    assert "<td>3</td>" in page  # repetitions
    assert 'id="record-map"' in page and "body-chart--readonly" in page
    assert "1. Upper trapezius — Patient&#x27;s right" in page  # the marker's title
    assert 'role="button"' not in page.split('id="record-map"')[1].split("</svg>")[0]


def test_a_correcting_addendum_amends_the_point_everywhere_and_keeps_the_original(
    client, patient, therapist, signed
):
    point = signed.trigger_points.get()
    assert TriggerPointVisit.objects.get(trigger_point=point).side == "right"
    client.force_login(therapist)
    answer = client.post(
        reverse("addendum_create", args=[signed.pk]),
        {
            "kind": "correction",
            "reason": "Wrong side",
            "text": "The point was on the patient's left.",
            "correct_point": point.pk,
            "correct_side": "left",
            "correct_tenderness": "5",
        },
    )
    assert answer.status_code == 302
    correction = PointCorrection.objects.get()
    assert (correction.side, correction.tenderness, correction.muscle) == ("left", 5, None)
    point.refresh_from_db()
    assert (point.side, point.tenderness) == ("right", 7)  # the record itself is untouched

    visit = TriggerPointVisit.objects.get(trigger_point=point)
    assert visit.side == "left" and visit.muscle == point.muscle
    (row,) = selectors.trigger_point_history(patient=patient)
    assert (row["side_label"], row["rating"]) == ("Patient's left", 5)

    page = client.get(reverse("session_detail", args=[signed.pk])).content.decode()
    assert "<del>Patient&#x27;s right</del> <ins>Patient&#x27;s left</ins>" in page
    assert "<del>7</del> <ins>5</ins>" in page
    chart = client.get(reverse("patient_chart", args=[patient.pk])).content.decode()
    assert "Patient&#x27;s left" in chart


def test_the_api_amends_a_muscle_and_refuses_a_point_of_another_note(patient, therapist, signed):
    point = signed.trigger_points.get()
    other = TriggerPointFactory(session=TreatmentSessionFactory(patient=patient))
    api = api_as(therapist)
    url = f"/api/v1/sessions/{signed.pk}/addenda/"
    refused = api.post(
        url,
        {
            "reason": "Muscle",
            "text": "Levator, not trapezius.",
            "corrections": [{"trigger_point": other.pk, "muscle": "levator-scapulae"}],
        },
        format="json",
    )
    assert refused.status_code == 400
    assert "corrections.0.trigger_point" in refused.json()
    assert not signed.addenda.exists()

    created = api.post(
        url,
        {
            "reason": "Muscle",
            "text": "Levator, not trapezius.",
            "corrections": [{"trigger_point": point.pk, "muscle": "levator-scapulae"}],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["corrections"][0]["muscle"] == "levator-scapulae"
    levator = Muscle.objects.get(slug="levator-scapulae")
    assert TriggerPointVisit.objects.get(trigger_point=point).muscle == levator
    note = api.get(f"/api/v1/sessions/{signed.pk}/").json()
    assert note["addenda"][0]["corrections"][0]["trigger_point"] == point.pk


def test_a_correction_must_change_something(client, therapist, signed):
    client.force_login(therapist)
    answer = client.post(
        reverse("addendum_create", args=[signed.pk]),
        {
            "kind": "correction",
            "reason": "r",
            "text": "Kept text",
            "correct_point": signed.trigger_points.get().pk,
        },
    )
    assert answer.status_code == 400
    assert "Say what changes" in answer.content.decode() and "Kept text" in answer.content.decode()
    assert not signed.addenda.exists()


@pytest.mark.postgres
def test_the_database_keeps_a_correction_as_written(therapist, signed):
    point = signed.trigger_points.get()
    addendum_add(
        session=signed,
        author=therapist,
        reason="Side",
        text="Left.",
        corrections=[{"trigger_point": point, "side": "left"}],
    )
    for change in (
        lambda: PointCorrection.objects.update(side="right"),
        lambda: PointCorrection.objects.all().delete(),
    ):
        with pytest.raises((IntegrityError, InternalError, ProgrammingError)), transaction.atomic():
            change()
    assert PointCorrection.objects.get().side == "left"
