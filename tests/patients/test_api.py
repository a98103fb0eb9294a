"""The REST API for patients, intakes and pain scores: scoped exactly like the pages."""

import jsonschema
import pytest

from tests.api_client import api_as
from tests.factories import PainScoreFactory, PatientFactory

pytestmark = pytest.mark.django_db

CLINICAL_KEYS = {"postures", "red_flags", "chief_complaint", "score", "subjective"}


def test_front_desk_lists_patients_without_any_clinical_field(patient, patient_b, front_desk):
    PainScoreFactory(patient=patient)
    answer = api_as(front_desk).get("/api/v1/patients/")
    assert answer.status_code == 200
    rows = answer.json()["results"]
    assert [row["id"] for row in rows] == [patient.pk]  # never the other clinic's patient
    assert not CLINICAL_KEYS & set(rows[0])


def test_patients_are_searched_filtered_and_ordered(clinic_a, front_desk):
    PatientFactory(clinic=clinic_a, first_name="Ada", last_name="Zed", activity_profile="athlete")
    PatientFactory(clinic=clinic_a, first_name="Bea", last_name="Young")
    api = api_as(front_desk)
    assert [
        p["last_name"] for p in api.get("/api/v1/patients/", {"search": "ada"}).json()["results"]
    ] == ["Zed"]
    athletes = api.get("/api/v1/patients/", {"activity_profile": "athlete"}).json()
    assert athletes["count"] == 1
    ordered = api.get("/api/v1/patients/", {"ordering": "-last_name"}).json()["results"]
    assert [p["last_name"] for p in ordered] == ["Zed", "Young"]


def test_a_patient_of_another_clinic_answers_404(patient_b, front_desk):
    assert api_as(front_desk).get(f"/api/v1/patients/{patient_b.pk}/").status_code == 404


def test_therapists_read_pain_scores_of_their_clinic_only(patient, patient_b, therapist):
    PainScoreFactory(patient=patient, score=6)
    other = PainScoreFactory(patient=patient_b, score=9)
    api = api_as(therapist)
    assert [row["score"] for row in api.get("/api/v1/pain-scores/").json()["results"]] == [6]
    assert api.get(f"/api/v1/pain-scores/{other.pk}/").status_code == 404


def test_patients_are_never_deleted_or_replaced_through_the_api(front_desk, patient):
    api = api_as(front_desk)
    assert api.delete(f"/api/v1/patients/{patient.pk}/").status_code == 405
    assert api.put(f"/api/v1/patients/{patient.pk}/", {}, format="json").status_code == 405


def test_a_patient_without_an_email_answers_what_the_schema_promises(client, clinic_a, front_desk):
    PatientFactory(clinic=clinic_a, email="")
    client.force_login(front_desk)  # the schema is for signed-in staff
    schema = client.get("/api/schema/", {"format": "json"}).json()
    email = schema["components"]["schemas"]["Patient"]["properties"]["email"]
    checker = jsonschema.FormatChecker()

    (row,) = api_as(front_desk).get("/api/v1/patients/").json()["results"]

    assert row["email"] == ""
    jsonschema.validate(row["email"], email, format_checker=checker)
    jsonschema.validate("ana@example.org", email, format_checker=checker)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate("not an address", email, format_checker=checker)
