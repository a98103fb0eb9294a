"""The dashboard pages: the dashboard for managers only; a patient's progress report for the
clinical staff of the patient's clinic, like the chart's clinical part."""

import datetime as dt

import pytest
from django.utils import timezone

from patients.models import FunctionalScore
from sessions.services import session_sign
from tests.factories import PainScoreFactory, TreatmentSessionFactory, TriggerPointFactory

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


@pytest.mark.parametrize("role", ["front_desk", "stranger"])
def test_the_progress_report_answers_404_to_anyone_outside_the_charts_clinical_part(
    client, request, role, patient
):
    client.force_login(request.getfixturevalue(role))
    assert client.get(f"/dashboard/patients/{patient.pk}/").status_code == 404


def test_a_treating_therapist_reads_psfs_trigger_points_and_the_check_in_curve(
    client, therapist, patient
):
    started = timezone.now() - dt.timedelta(days=8)
    session = TreatmentSessionFactory(patient=patient, therapist=therapist, started_at=started)
    TriggerPointFactory(session=session, tenderness=7)
    for hours, source, score in (
        (0, "pre_session", 7),
        (1, "post_session", 5),
        (30, "check_in", 3),
    ):
        PainScoreFactory(
            patient=patient,
            session=session,
            source=source,
            score=score,
            recorded_at=started + dt.timedelta(hours=hours),
        )
    for days, instrument, score in ((20, "psfs", 3), (2, "psfs2", 2)):
        FunctionalScore.objects.create(
            patient=patient,
            recorded_at=timezone.now() - dt.timedelta(days=days),
            source="intake",
            instrument=instrument,
            item=1,
            activity="Lifting my toddler",
            score=score,
        )
    client.force_login(therapist)
    page = client.get(f"/dashboard/patients/{patient.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    psfs = html[html.index('id="psfs"') : html.index('id="trigger-points"')]
    # PSFS 2.0 runs the other way: its 2 reads as 8 beside the first PSFS rating's 3.
    assert "Lifting my toddler" in psfs and "3/10" in psfs and "8/10" in psfs
    points = html[html.index('id="trigger-points"') : html.index('id="check-in-curve"')]
    assert "Upper trapezius" in points and ">7<" in points
    curve = html[html.index('id="check-in-curve"') :]
    assert "Neck" in curve and "<td>7</td><td>5</td><td>3</td>" in curve


def test_the_progress_report_and_the_print_view_run_a_fixed_number_of_queries(
    client, therapist, patient, django_assert_max_num_queries
):
    client.force_login(therapist)
    for sessions in (1, 4):
        for _ in range(sessions):
            session = TreatmentSessionFactory(patient=patient, therapist=therapist)
            TriggerPointFactory(session=session)
            PainScoreFactory(patient=patient, session=session, recorded_at=session.started_at)
        # session, user, access, the patient, its audit row, PSFS, points, curve, the page's
        # navigation; the plan of care (none here: one query; with a plan, two more)
        with django_assert_max_num_queries(11):
            assert client.get(f"/dashboard/patients/{patient.pk}/").status_code == 200
    session_sign(session=session, user=therapist)
    # the session, its pain, points, corrections, mobility and addenda (one query each), the
    # audit row
    with django_assert_max_num_queries(11):
        assert client.get(f"/sessions/{session.pk}/print").status_code == 200
