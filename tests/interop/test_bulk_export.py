import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from clinic.models import Clinic, Membership, Role
from interop.exports import RESOURCE_TYPES
from outcomes.models import InstrumentResponse
from patients.models import FunctionalScore, IntakeSubmission, PainScore, Patient
from plans.models import PlanGoal, PlanOfCare
from sessions.models import MobilityMeasurement, TreatmentSession
from tests.factories import ClinicFactory, MembershipFactory
from tests.interop.fhir_helpers import empty_elements, parse, references


@pytest.fixture
def demo(db):
    call_command("seed_demo", "--patients", "6", "--quiet")
    manager = Membership.objects.get(role=Role.MANAGER, user__username="manager")
    return manager.user, manager.clinic


def export(client, resource_type, **params) -> list[dict]:
    response = client.get(reverse("fhir_bulk_export", args=[resource_type]), params)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/fhir+ndjson"
    text = b"".join(response.streaming_content).decode()
    return [json.loads(line) for line in text.splitlines()]


def test_a_manager_exports_every_resource_type_as_valid_ndjson_whose_references_resolve(
    client, demo, monkeypatch
):
    manager, clinic = demo
    monkeypatch.setattr("interop.exports.PATIENTS_PER_CHUNK", 2)  # cross chunk boundaries
    client.force_login(manager)
    exported = {t: export(client, t) for t in RESOURCE_TYPES}

    ids = set()
    for resource_type, resources in exported.items():
        for resource in resources:
            assert resource["resourceType"] == resource_type
            parse(resource)
            assert empty_elements(resource) == []
            ids.add(f"{resource_type}/{resource['id']}")
    for resources in exported.values():
        for resource in resources:
            assert set(references(resource)) <= ids

    patients = Patient.objects.filter(clinic=clinic)
    responses = InstrumentResponse.objects.filter(patient__clinic=clinic)
    assert len(exported["Organization"]) == 1
    frontdesk = Membership.objects.get(clinic=clinic, role=Role.FRONT_DESK).user_id
    assert str(frontdesk) not in {p["id"] for p in exported["Practitioner"]}
    assert len(exported["Patient"]) == patients.count() > 0
    sessions = TreatmentSession.objects.filter(patient__clinic=clinic).count()
    assert len(exported["Encounter"]) == len(exported["Procedure"]) == sessions
    observations = (
        PainScore.objects.filter(patient__clinic=clinic).count()
        + MobilityMeasurement.objects.filter(patient__clinic=clinic).count()
        + FunctionalScore.objects.filter(patient__clinic=clinic).count()
        # an index's total when its rule scored it; a PSFS rating's mean per moment
        + responses.filter(total__isnull=False).count()
        + FunctionalScore.objects.filter(patient__clinic=clinic)
        .values("patient_id", "recorded_at", "instrument")
        .distinct()
        .count()
    )
    assert len(exported["Observation"]) == observations
    intakes = IntakeSubmission.objects.filter(clinic=clinic).exclude(status="in_progress")
    assert len(exported["QuestionnaireResponse"]) == intakes.count() + responses.count()
    answered = responses.values("instrument").distinct().count()
    assert len(exported["Questionnaire"]) == answered
    plans = PlanOfCare.objects.filter(patient__clinic=clinic)
    assert len(exported["CarePlan"]) == plans.count() > 0
    assert len(exported["Goal"]) == PlanGoal.objects.filter(plan__in=plans).count()


def test_the_export_holds_only_the_managers_clinic(client, demo):
    manager, clinic = demo
    client.force_login(manager)
    other = Patient.objects.exclude(clinic=clinic).values_list("pk", flat=True)
    assert other.exists()
    exported = {p["id"] for p in export(client, "Patient")}
    assert exported and not exported & {str(pk) for pk in other}


def test_only_managers_of_the_clinic_may_export(client, demo):
    manager, clinic = demo
    other_clinic = Clinic.objects.exclude(pk=clinic.pk).get()
    for username in ("therapist", "frontdesk", "other_manager"):
        client.force_login(Membership.objects.get(user__username=username).user)
        url = reverse("fhir_bulk_export", args=["Patient"])
        assert client.get(url, {"clinic": clinic.slug}).status_code == 404, username
    client.force_login(manager)
    url = reverse("fhir_bulk_export", args=["Patient"])
    assert client.get(url, {"clinic": other_clinic.slug}).status_code == 404
    assert client.get(reverse("fhir_bulk_export", args=["Appointment"])).status_code == 404
    client.logout()
    assert client.get(url).status_code in (401, 403)


def test_the_command_writes_the_same_resources_as_the_endpoint(client, demo, tmp_path):
    manager, clinic = demo
    call_command(
        "fhir_export", "--clinic", clinic.slug, "--output", str(tmp_path), stdout=io.StringIO()
    )
    client.force_login(manager)
    for resource_type in RESOURCE_TYPES:
        written = (tmp_path / f"{resource_type}.ndjson").read_text().splitlines()
        assert [json.loads(line) for line in written] == export(client, resource_type)


def test_a_manager_of_two_clinics_exports_the_first_by_name_or_the_one_named(
    client, manager, clinic_a, patient
):
    second = ClinicFactory(name="Another Clinic", slug="second")
    MembershipFactory(user=manager, clinic=second, role=Role.MANAGER)
    client.force_login(manager)
    assert export(client, "Patient") == []  # "Another Clinic" comes first by name
    assert [p["id"] for p in export(client, "Patient", clinic="harbour")] == [str(patient.pk)]
    assert export(client, "Patient", clinic="second") == []
