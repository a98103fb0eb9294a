"""The dashboard pages: managers only, and only their own clinic's patients."""

import pytest

pytestmark = pytest.mark.django_db


def test_a_manager_gets_the_dashboard_with_its_filters_and_config(client, manager, therapist):
    client.force_login(manager)
    page = client.get("/dashboard/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="dashboard-config"' in html and "/api/v1/reports/outcomes/" in html
    assert 'name="cohort"' in html and 'name="region"' in html
    assert "vendor/chart.js/chart.umd.js" in html and "js/dashboard.js" in html
    assert "<script>" not in html  # page JS lives in static files (a CSP must be possible)


@pytest.mark.parametrize("role", ["therapist", "front_desk", "stranger"])
def test_other_roles_are_refused_the_dashboard(client, request, role):
    client.force_login(request.getfixturevalue(role))
    assert client.get("/dashboard/").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client):
    answer = client.get("/dashboard/")
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]


def test_the_progress_report_is_for_the_managers_own_patients(client, manager, patient, patient_b):
    client.force_login(manager)
    page = client.get(f"/dashboard/patients/{patient.pk}/")
    assert page.status_code == 200
    assert patient.full_name in page.content.decode()
    assert f"/api/v1/reports/patients/{patient.pk}/pain-trend/" in page.content.decode()
    assert client.get(f"/dashboard/patients/{patient_b.pk}/").status_code == 404


def test_a_therapist_cannot_open_the_progress_report_page(client, therapist, patient):
    client.force_login(therapist)
    assert client.get(f"/dashboard/patients/{patient.pk}/").status_code == 403
