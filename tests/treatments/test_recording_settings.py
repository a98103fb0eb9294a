"""/sessions/settings/: a manager sets the clinic's minimum for signing and keeps its SOAP
templates; the recording page offers the templates to the clinic's therapists."""

import pytest
from django.urls import reverse

from sessions.models import NoteRequirements, SoapTemplate
from tests.factories import TreatmentSessionFactory

pytestmark = pytest.mark.django_db


def test_a_manager_sets_the_minimum_and_keeps_templates(client, manager, clinic_a):
    client.force_login(manager)
    url = reverse("recording_settings")
    assert client.get(url).status_code == 200
    client.post(url, {"requirements": "yes", "soap_required": "on", "pain_after_required": "on"})
    requirements = NoteRequirements.objects.get(clinic=clinic_a)
    assert requirements.soap_required and requirements.pain_after_required
    assert not requirements.pain_before_required

    client.post(url, {"name": "Neck follow-up", "plan": "Review in one week."})
    template = SoapTemplate.objects.get(clinic=clinic_a)
    again = client.post(url, {"name": "Neck follow-up", "plan": "Twice."})
    assert again.status_code == 400 and "Twice." in again.content.decode()
    edit = reverse("soap_template_edit", args=[template.pk])
    client.post(edit, {"name": "Neck follow-up", "plan": "Review in ten days."})
    template.refresh_from_db()
    assert template.plan == "Review in ten days."
    client.post(reverse("soap_template_delete", args=[template.pk]))
    assert not SoapTemplate.objects.exists()


def test_the_recording_page_offers_the_clinics_templates_only(client, therapist, patient, clinic_b):
    SoapTemplate.objects.create(clinic=patient.clinic, name="Ours", plan="Weekly.")
    SoapTemplate.objects.create(clinic=clinic_b, name="Theirs", plan="Monthly.")
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    client.force_login(therapist)
    page_data = client.get(reverse("session_detail", args=[session.pk])).context["page_data"]
    assert [t["name"] for t in page_data["templates"]] == ["Ours"]
    assert page_data["hold_targets"]["ischemic_compression"] == 30
