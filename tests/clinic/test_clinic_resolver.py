"""One answer to "which clinic does this request mean" (clinic.selectors.clinic_resolve): a
manager of two clinics gets the same default on every page and API, the first clinic by name,
and switches with ?clinic=<slug>."""

import pytest

from clinic.models import Clinic, Role
from clinic.selectors import clinic_resolve, clinics_of
from scheduling.models import ReminderPolicy
from tests.api_client import api_as
from tests.factories import (
    ClinicFactory,
    MembershipFactory,
    PatientFactory,
    TreatmentSessionFactory,
    TriggerPointFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def anchor(manager):
    """A second clinic of the manager: first by name, last by id and by slug, so a page that
    ordered clinics any other way would pick Harbour Street instead."""
    clinic = ClinicFactory(name="Anchor Bay Clinic", slug="zed-bay")
    MembershipFactory(user=manager, clinic=clinic, role=Role.MANAGER)
    return clinic


@pytest.fixture
def patients(clinic_a, anchor):
    harbour = PatientFactory(clinic=clinic_a, last_name="Harbourside")
    bay = PatientFactory(clinic=anchor, last_name="Baysider")
    TriggerPointFactory(session=TreatmentSessionFactory(patient=bay))
    return {clinic_a.slug: harbour, anchor.slug: bay}


def _page_clinic(client, url: str) -> Clinic:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["clinic"]


def _import_clinic(client, query: str = "") -> Clinic:
    form = client.get(f"/patients/import/{query}").context["form"]
    return form["clinic"].initial


def _csv_names(client, query: str = "") -> str:
    response = client.get(f"/api/v1/export/patients.csv{query}")
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()


def _muscles_reported(manager, query: dict) -> int:
    response = api_as(manager).get("/api/v1/reports/trigger-points/", query)
    assert response.status_code == 200
    return len(response.json())


def test_a_manager_of_two_clinics_gets_the_first_by_name_on_every_page_and_api(
    client, manager, clinic_a, anchor, patients
):
    client.force_login(manager)
    pages = ["/dashboard/", "/follow-ups/", "/follow-ups/policy/", "/intakes/invite/"]

    assert [_page_clinic(client, url) for url in pages] == [anchor] * len(pages)
    assert _import_clinic(client) == anchor
    assert "Baysider" in _csv_names(client) and "Harbourside" not in _csv_names(client)
    assert _muscles_reported(manager, {}) == 1


def test_a_manager_of_two_clinics_switches_with_the_clinic_slug_everywhere(
    client, manager, clinic_a, anchor, patients
):
    client.force_login(manager)
    query = f"?clinic={clinic_a.slug}"
    pages = ["/dashboard/", "/follow-ups/", "/follow-ups/policy/", "/intakes/invite/"]

    assert [_page_clinic(client, url + query) for url in pages] == [clinic_a] * len(pages)
    assert _import_clinic(client, query) == clinic_a
    assert "Harbourside" in _csv_names(client, query)
    assert "Baysider" not in _csv_names(client, query)
    assert _muscles_reported(manager, {"clinic": clinic_a.slug}) == 0


def test_the_pages_offer_a_switch_between_the_managers_clinics(client, manager, anchor):
    client.force_login(manager)
    for url in ("/follow-ups/", "/follow-ups/policy/", "/dashboard/"):
        page = client.get(url).content.decode()
        assert 'value="harbour"' in page and 'value="zed-bay"' in page, url


def test_a_saved_reminder_policy_stays_on_the_clinic_it_was_saved_for(
    client, manager, clinic_a, anchor
):
    client.force_login(manager)
    data = {
        "first_reminder_hours": 30,
        "second_reminder_hours": 3,
        "check_in_after_hours": 36,
        "quiet_hours_start": "22:00",
        "quiet_hours_end": "07:30",
        "sms_enabled": "on",
        "late_cancellation_hours": 24,
    }

    response = client.post(f"/follow-ups/policy/?clinic={clinic_a.slug}", data)

    assert response.status_code == 302
    assert response["Location"].endswith(f"?clinic={clinic_a.slug}")
    assert ReminderPolicy.objects.get(clinic=clinic_a).first_reminder_hours == 30
    assert not ReminderPolicy.objects.filter(clinic=anchor, first_reminder_hours=30).exists()


def test_a_clinic_outside_the_users_own_is_absent(manager, therapist, clinic_b, anchor):
    with pytest.raises(Clinic.DoesNotExist):
        clinic_resolve(user=manager, slug=clinic_b.slug)
    with pytest.raises(Clinic.DoesNotExist):
        clinic_resolve(user=therapist, managed=True)
    assert [c.slug for c in clinics_of(user=manager, managed=True)] == ["zed-bay", "harbour"]
