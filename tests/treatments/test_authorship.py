"""One rule each, in the services, so the page and the API answer alike: a draft is written by
its author only; a follow-up's therapist is clinical staff of the patient's clinic."""

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from clinic.models import Role
from scheduling.follow_ups import follow_up_create
from scheduling.models import FollowUp
from sessions.services import session_update
from tests.api_client import api_as
from tests.factories import MembershipFactory, TreatmentSessionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(clinic_a):
    """Another therapist of the same clinic: sees the draft, may not write into it."""
    user = UserFactory(username="dave")
    MembershipFactory(user=user, clinic=clinic_a, role=Role.THERAPIST)
    return user


@pytest.fixture
def draft(patient, therapist):
    return TreatmentSessionFactory(patient=patient, therapist=therapist, subjective="As written.")


def test_the_service_refuses_a_draft_written_by_anyone_but_its_author(draft, colleague, manager):
    for user in (colleague, manager):
        with pytest.raises(PermissionDenied):
            session_update(session=draft, user=user, fields={"subjective": "Overwritten"})
    draft.refresh_from_db()
    assert draft.subjective == "As written."


def test_the_api_refuses_another_therapists_draft_like_the_page_does(
    client, draft, colleague, manager
):
    for user in (colleague, manager):
        api = api_as(user)
        answered = api.patch(
            f"/api/v1/sessions/{draft.pk}/", {"subjective": "Overwritten"}, format="json"
        )
        assert answered.status_code == 403, answered.json()
        client.force_login(user)
        page = client.post(
            reverse("session_draft", args=[draft.pk]),
            json.dumps({"subjective": "Overwritten"}),
            content_type="application/json",
        )
        assert page.status_code == 403
    draft.refresh_from_db()
    assert draft.subjective == "As written."


def test_the_author_still_saves_the_draft_through_both(client, draft, therapist):
    api = api_as(therapist)
    answered = api.patch(f"/api/v1/sessions/{draft.pk}/", {"subjective": "API"}, format="json")
    assert answered.status_code == 200
    client.force_login(therapist)
    page = client.post(
        reverse("session_draft", args=[draft.pk]),
        json.dumps({"subjective": "Page"}),
        content_type="application/json",
    )
    assert page.status_code == 200, page.content
    draft.refresh_from_db()
    assert draft.subjective == "Page"


def _due():
    return timezone.now() + dt.timedelta(days=3)


def test_the_service_takes_only_clinical_staff_of_the_patients_clinic_as_therapist(
    patient, front_desk, stranger, therapist, manager
):
    for wrong in (front_desk, stranger):
        with pytest.raises(ValidationError) as refused:
            follow_up_create(patient=patient, due_at=_due(), created_by=front_desk, therapist=wrong)
        assert "therapist" in refused.value.message_dict
    for right in (therapist, manager, None):
        follow_up_create(patient=patient, due_at=_due(), created_by=front_desk, therapist=right)
    assert FollowUp.objects.count() == 3


def test_the_api_answers_a_front_desk_therapist_with_a_400_on_the_field(
    patient, front_desk, therapist
):
    api = api_as(front_desk)
    body = {"patient": patient.pk, "due_at": _due().isoformat(), "therapist": front_desk.pk}
    refused = api.post("/api/v1/follow-ups/", body, format="json")
    assert refused.status_code == 400 and "therapist" in refused.json()
    accepted = api.post("/api/v1/follow-ups/", {**body, "therapist": therapist.pk}, format="json")
    assert accepted.status_code == 201, accepted.json()
    assert FollowUp.objects.get().therapist == therapist


def test_the_booking_page_refuses_a_front_desk_therapist_too(client, patient, front_desk):
    client.force_login(front_desk)
    with timezone.override(patient.clinic.zone):
        due = timezone.localtime(_due()).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        f"{reverse('follow_up_new')}?patient={patient.pk}",
        {"due_at": due, "kind": "appointment", "therapist": front_desk.pk},
    )
    assert response.status_code == 200 and "therapist" in response.context["form"].errors
    assert not FollowUp.objects.exists()
