"""Report endpoints: who may read them, bad input, and a query count that does not grow."""

import datetime as dt

import pytest
from django.utils import timezone

from sessions.models import Movement
from tests.api_client import api_as
from tests.factories import (
    PainScoreFactory,
    PatientFactory,
    TreatmentSessionFactory,
    TriggerPointFactory,
)

pytestmark = pytest.mark.django_db

CLINIC_REPORTS = ["outcomes", "trigger-points", "check-in-curve", "psfs", "rom", "instruments"]
DAY = dt.timedelta(days=1)


def _grow(clinic, therapist, patients):
    """`patients` more patients, each with an intake, two sessions and a check-in."""
    rotation = Movement.objects.get(code="cervical-rotation")
    now = timezone.now()
    for _ in range(patients):
        person = PatientFactory(clinic=clinic)
        PainScoreFactory(patient=person, source="intake", score=7, recorded_at=now - 20 * DAY)
        for days in (15, 5):
            session = TreatmentSessionFactory(
                patient=person, therapist=therapist, started_at=now - days * DAY
            )
            for source in ("pre_session", "post_session", "check_in"):
                PainScoreFactory(
                    patient=person,
                    session=session,
                    source=source,
                    score=4,
                    recorded_at=session.started_at,
                )
            TriggerPointFactory(session=session)
            session.mobility.create(
                patient=person,
                movement=rotation,
                side="left",
                degrees=50,
                measured_at=session.started_at,
            )


def test_a_manager_reads_the_clinic_outcomes(clinic_a, manager, therapist):
    _grow(clinic_a, therapist, 2)
    answer = api_as(manager).get("/api/v1/reports/outcomes/")
    assert answer.status_code == 200
    body = answer.json()
    assert body["total"]["patients"] == 2
    assert body["total"]["responders"] == 2  # 7 -> 4: 3 points and 43 %
    assert body["responder_min_points"] == 2


@pytest.mark.parametrize("report", CLINIC_REPORTS)
def test_clinic_reports_are_for_managers_only(therapist, front_desk, report):
    for user in (therapist, front_desk):
        assert api_as(user).get(f"/api/v1/reports/{report}/").status_code == 403


def test_a_clinic_the_manager_does_not_manage_answers_404(manager, clinic_b):
    answer = api_as(manager).get("/api/v1/reports/outcomes/", {"clinic": clinic_b.slug})
    assert answer.status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"date_from": "2026-05-01", "date_to": "2026-04-01"}, "date_from"),
        ({"date_from": "yesterday"}, "date_from"),
        ({"cohort": "astronaut"}, "cohort"),
        ({"region": "tail"}, "region"),
        ({"therapist": "-3"}, "therapist"),
    ],
)
def test_bad_report_parameters_answer_400_with_the_field_named(manager, query, field):
    answer = api_as(manager).get("/api/v1/reports/outcomes/", query)
    assert answer.status_code == 400 and field in answer.json()


@pytest.mark.parametrize("report", CLINIC_REPORTS)
def test_clinic_reports_keep_a_fixed_query_count_as_rows_grow(
    clinic_a, manager, therapist, report, django_assert_max_num_queries
):
    api = api_as(manager)
    for patients in (1, 4):
        _grow(clinic_a, therapist, patients)
        # token, managed clinics, the clinic, the user's access, the report itself, wrapped in
        # its own transaction (a savepoint here) that raises work_mem on PostgreSQL
        with django_assert_max_num_queries(8):
            assert api.get(f"/api/v1/reports/{report}/").status_code == 200


@pytest.mark.parametrize("trend", ["pain-trend", "mobility-trend"])
def test_patient_trends_for_clinical_staff_of_the_patients_clinic(
    clinic_a, therapist, front_desk, stranger, trend, django_assert_max_num_queries
):
    _grow(clinic_a, therapist, 1)
    person = PatientFactory._meta.model.objects.get()
    url = f"/api/v1/reports/patients/{person.pk}/{trend}/"
    api = api_as(therapist)
    for more in (0, 3):
        for _ in range(more):
            PainScoreFactory(patient=person)
        # 5 of them write the audit row; 1 the token's last use (at most once a minute)
        with django_assert_max_num_queries(10):
            answer = api.get(url)
        assert answer.status_code == 200 and answer.json()
    assert api_as(front_desk).get(url).status_code == 403
    assert api_as(stranger).get(url).status_code == 404


def test_the_pain_trend_is_the_patients_series_oldest_first(clinic_a, therapist, patient):
    now = timezone.now()
    PainScoreFactory(patient=patient, source="intake", score=7, recorded_at=now - 9 * DAY)
    PainScoreFactory(patient=patient, source="check_in", score=3, recorded_at=now - DAY)
    rows = api_as(therapist).get(f"/api/v1/reports/patients/{patient.pk}/pain-trend/").json()
    assert [(r["source"], r["score"]) for r in rows] == [("intake", 7), ("check_in", 3)]


def test_the_schema_declares_every_endpoint_and_both_authentications(client, manager):
    client.force_login(manager)  # the schema is for signed-in staff
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert set(schema["components"]["securitySchemes"]) == {"tokenAuth", "cookieAuth"}
    paths = set(schema["paths"])
    for resource in [
        "patients",
        "intakes",
        "pain-scores",
        "sessions",
        "trigger-points",
        "mobility",
        "follow-ups",
        "reminders",
    ]:
        assert f"/api/v1/{resource}/" in paths and f"/api/v1/{resource}/{{id}}/" in paths
    for report in CLINIC_REPORTS:
        assert f"/api/v1/reports/{report}/" in paths
    assert client.get("/api/docs/").status_code == 200


@pytest.mark.parametrize(
    "query",
    [{"date_to": "0001-01-05"}, {"date_from": "0001-01-01"}, {"date_to": "9999-12-31"}],
)
def test_a_period_out_of_range_answers_400_on_the_field_never_500(manager, query):
    for report in ("outcomes", "check-in-curve", "trigger-points", "psfs", "rom"):
        response = api_as(manager).get(f"/api/v1/reports/{report}/", query)
        assert response.status_code == 400, (report, query)
        assert set(response.json()) == set(query), response.json()
