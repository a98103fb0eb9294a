"""The registration and edit pages, the chart's record card and the patient list's entry
point: forms come back as typed with field errors; a possible duplicate is listed once."""

import pytest
from django.urls import reverse

from clinic.models import AuditEvent
from patients.models import IntakeInvitation, Patient
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

FORM = {
    "first_name": "Walk",
    "last_name": "In",
    "date_of_birth": "1990-04-02",
    "phone": "416 555 0101",
    "phone_other": "",
    "email": "walk.in@example.com",
    "preferred_language": "en",
    "consents_to_email": "on",
    "preferred_channel": "email",
    "emergency_contact_name": "",
    "emergency_contact_phone": "",
    "emergency_contact_relation": "",
    "staff_note": "",
}


def test_front_desk_registers_a_patient_from_the_page(client, front_desk, clinic_a):
    client.force_login(front_desk)
    answer = client.post(reverse("patient_new"), FORM)
    patient = Patient.objects.get()
    assert answer.status_code == 302 and answer.url == reverse("patient_chart", args=[patient.pk])
    assert (patient.clinic, patient.consents_to_email) == (clinic_a, True)


def test_the_form_comes_back_as_typed_with_field_errors(client, front_desk, clinic_a):
    client.force_login(front_desk)
    answer = client.post(
        reverse("patient_new"), {**FORM, "date_of_birth": "2999-01-01", "email": "nope"}
    )
    assert answer.status_code == 200
    form = answer.context["form"]
    assert set(form.errors) == {"date_of_birth", "email"}
    html = answer.content.decode()
    assert 'value="Walk"' in html and 'value="2999-01-01"' in html
    assert not Patient.objects.exists()


def test_a_duplicate_is_listed_with_a_link_and_registered_once_confirmed(
    client, front_desk, clinic_a
):
    twin = PatientFactory(clinic=clinic_a, email="WALK.IN@example.com")
    client.force_login(front_desk)
    warned = client.post(reverse("patient_new"), FORM)
    html = warned.content.decode()
    assert reverse("patient_chart", args=[twin.pk]) in html
    assert 'name="confirm_duplicate"' in html
    assert Patient.objects.count() == 1
    confirmed = client.post(reverse("patient_new"), {**FORM, "confirm_duplicate": "on"})
    assert confirmed.status_code == 302 and Patient.objects.count() == 2


def test_front_desk_edits_the_phone_and_the_manager_sees_which_field_changed(
    client, front_desk, manager, patient
):
    client.force_login(front_desk)
    answer = client.post(
        reverse("patient_edit", args=[patient.pk]),
        {**FORM, "first_name": patient.first_name, "last_name": patient.last_name,
         "email": patient.email, "date_of_birth": "1980-05-17", "phone": "416 555 0999"},
    )  # fmt: skip
    assert answer.status_code == 302
    patient.refresh_from_db()
    assert patient.phone == "416 555 0999"
    client.force_login(manager)
    chart = client.get(reverse("patient_chart", args=[patient.pk])).content.decode()
    assert "Changes to this record" in chart and "mobile phone" in chart
    assert "416 555 0999" in chart  # the card shows the number; the change list does not
    assert chart.count("416 555 0999") == 1


def test_therapists_see_no_edit_and_get_403(client, therapist, patient):
    client.force_login(therapist)
    chart = client.get(reverse("patient_chart", args=[patient.pk])).content.decode()
    assert reverse("patient_edit", args=[patient.pk]) not in chart
    assert "Changes to this record" not in chart
    assert client.get(reverse("patient_edit", args=[patient.pk])).status_code == 403
    assert client.get(reverse("patient_new")).status_code == 403


def test_another_clinics_patient_answers_404(client, front_desk, patient_b):
    client.force_login(front_desk)
    assert client.get(reverse("patient_edit", args=[patient_b.pk])).status_code == 404
    assert client.post(reverse("patient_intake_link", args=[patient_b.pk])).status_code == 404


def test_copy_intake_link_shows_a_fresh_link_once_and_stores_its_hash(client, front_desk, patient):
    client.force_login(front_desk)
    answer = client.post(reverse("patient_intake_link", args=[patient.pk]))
    link = answer.context["link"]
    assert answer["Cache-Control"] == "no-store"
    token = link.rstrip("/").rsplit("/", 1)[1]
    invitation = IntakeInvitation.objects.get(patient=patient)
    assert token not in invitation.token_hash and invitation.is_open
    assert client.get(link).status_code == 200  # the patient's form opens from it
    assert AuditEvent.objects.filter(object_type="patients.intakeinvitation").exists()


def test_the_patient_list_offers_registration_and_an_empty_state(client, front_desk, therapist):
    client.force_login(front_desk)
    html = client.get(reverse("patient_list")).content.decode()
    assert "No patients yet." in html and reverse("patient_new") in html
    client.force_login(therapist)
    assert reverse("patient_new") not in client.get(reverse("patient_list")).content.decode()
