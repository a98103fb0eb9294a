"""POST /api/v1/patients/ and PATCH /api/v1/patients/<id>/: the registration service behind
the API, with per-field 400s, a `duplicates` answer, scoping and role checks."""

import pytest

from clinic.models import AuditEvent
from patients.models import Patient
from tests.api_client import api_as
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

BODY = {
    "first_name": "Api",
    "last_name": "Walker",
    "date_of_birth": "1985-07-30",
    "phone": "+1 905 555 0177",
    "email": "api.walker@example.com",
    "consents_to_email": True,
    "preferred_channel": "email",
}


def test_front_desk_registers_a_patient(front_desk, clinic_a):
    answer = api_as(front_desk).post("/api/v1/patients/", BODY, format="json")
    assert answer.status_code == 201
    patient = Patient.objects.get(pk=answer.json()["id"])
    assert (patient.clinic, patient.phone) == (clinic_a, BODY["phone"])


def test_each_bad_field_answers_400_with_its_own_message(front_desk, clinic_a):
    body = {**BODY, "date_of_birth": "2999-01-01", "email": "nope", "preferred_channel": "fax"}
    answer = api_as(front_desk).post("/api/v1/patients/", body, format="json")
    assert answer.status_code == 400
    assert {"email", "preferred_channel"} <= set(answer.json())
    answer = api_as(front_desk).post(
        "/api/v1/patients/", {**BODY, "date_of_birth": "1850-01-01"}, format="json"
    )
    assert answer.status_code == 400 and list(answer.json()) == ["date_of_birth"]


def test_a_possible_duplicate_answers_400_until_confirmed(front_desk, clinic_a):
    twin = PatientFactory(clinic=clinic_a, first_name="API", last_name="walker",
                          date_of_birth="1985-07-30")  # fmt: skip
    api = api_as(front_desk)
    answer = api.post("/api/v1/patients/", BODY, format="json")
    assert answer.status_code == 400
    assert [row["id"] for row in answer.json()["duplicates"]] == [twin.pk]
    confirmed = api.post("/api/v1/patients/", {**BODY, "confirm_duplicate": True}, format="json")
    assert confirmed.status_code == 201


def test_patch_changes_the_phone_and_audits_the_field_name(front_desk, patient):
    answer = api_as(front_desk).patch(
        f"/api/v1/patients/{patient.pk}/", {"phone": "905 555 0123"}, format="json"
    )
    assert answer.status_code == 200 and answer.json()["phone"] == "905 555 0123"
    assert AuditEvent.objects.get(action="update", object_id=str(patient.pk)).fields == "phone"


def test_patch_of_another_clinics_patient_answers_404(front_desk, patient_b):
    answer = api_as(front_desk).patch(
        f"/api/v1/patients/{patient_b.pk}/", {"phone": "905 555 0123"}, format="json"
    )
    assert answer.status_code == 404


def test_therapists_may_not_register_or_edit(therapist, patient):
    api = api_as(therapist)
    assert api.post("/api/v1/patients/", BODY, format="json").status_code == 403
    answer = api.patch(f"/api/v1/patients/{patient.pk}/", {"phone": "1234567"}, format="json")
    assert answer.status_code == 403


def test_registering_in_a_clinic_not_yours_answers_404(front_desk, clinic_b):
    answer = api_as(front_desk).post(
        "/api/v1/patients/", {**BODY, "clinic": clinic_b.slug}, format="json"
    )
    assert answer.status_code == 404


def test_the_patient_list_runs_a_fixed_number_of_queries(
    front_desk, clinic_a, django_assert_max_num_queries
):
    api = api_as(front_desk)
    PatientFactory.create_batch(3, clinic=clinic_a)
    with django_assert_max_num_queries(12) as few:
        api.get("/api/v1/patients/")
    PatientFactory.create_batch(40, clinic=clinic_a)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert api.get("/api/v1/patients/").json()["count"] == 43
