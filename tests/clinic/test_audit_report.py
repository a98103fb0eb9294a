"""Managers read their own clinics' audit trail, filtered, on screen and as CSV."""

import pytest
from django.urls import reverse

from clinic.audit import audit_record
from tests.factories import TreatmentSessionFactory

pytestmark = pytest.mark.django_db


def test_a_manager_filters_the_trail_and_downloads_it(
    client, manager, therapist, patient, stranger, patient_b
):
    audit_record(action="read", actor=therapist, obj=patient, patient=patient)
    audit_record(action="update", actor=therapist, obj=patient, patient=patient)
    audit_record(action="read", actor=stranger, obj=patient_b, patient=patient_b)
    client.force_login(manager)

    page = client.get(reverse("audit_report"), {"action": "read"}).content.decode()
    assert "alice" in page and "mallory" not in page

    csv = b"".join(
        client.get(
            reverse("audit_report"), {"format": "csv", "patient": patient.pk}
        ).streaming_content
    ).decode()
    lines = csv.strip().splitlines()
    assert lines[0].startswith("at,actor__username")
    assert len(lines) == 3 and all(",alice," in line for line in lines[1:])
    assert patient.last_name not in csv


def test_bad_filters_are_marked_per_field_and_kept(client, manager):
    client.force_login(manager)
    response = client.get(reverse("audit_report"), {"date_from": "2026-13-40", "patient": "x"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter a valid date." in page and 'value="2026-13-40"' in page
    assert "Enter a whole number." in page


def test_only_managers_read_the_trail(client, therapist, front_desk):
    for user in (therapist, front_desk):
        client.force_login(user)
        assert client.get(reverse("audit_report")).status_code == 404


def test_the_page_names_the_patient_and_the_record_in_words(
    client, manager, therapist, patient, django_assert_max_num_queries
):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    for _ in range(30):
        audit_record(action="read", actor=therapist, obj=session, patient=patient)
    audit_record(
        action="read", actor=therapist, obj=patient, patient_id=987654, clinic_id=patient.clinic_id
    )
    client.force_login(manager)

    with django_assert_max_num_queries(12):
        page = client.get(reverse("audit_report")).content.decode()

    assert "Pat Example" in page and "Treatment session" in page
    assert "treatments.treatmentsession" not in page and f">{patient.pk}<" not in page
    assert "Patient 987654 (restricted or erased)" in page
