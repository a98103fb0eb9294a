"""The plan pages: from the chart, scoped like it, service refusals beside their fields."""

import datetime as dt

import pytest
from django.utils import timezone

from plans.models import PlanOfCare
from tests.factories import PainScoreFactory
from tests.plans.helpers import signed_plan

pytestmark = pytest.mark.django_db


def _form(**goal):
    data = {
        "complaint": "Neck pain",
        "regions": ["neck_back"],
        "sessions_per_week": "2",
        "weeks": "4",
        "reassess_on": "2030-01-10",
        "goals-TOTAL_FORMS": "3",
        "goals-INITIAL_FORMS": "0",
        "goals-MIN_NUM_FORMS": "0",
        "goals-MAX_NUM_FORMS": "20",
    }
    for name, value in goal.items():
        data[f"goals-1-{name}"] = value
    return data


def test_a_therapist_writes_and_signs_a_plan_from_the_chart(client, therapist, patient):
    client.force_login(therapist)
    chart = client.get(f"/patients/{patient.pk}/")
    assert "Start a plan of care" in chart.content.decode()
    answer = client.post(
        f"/patients/{patient.pk}/plan/new/",
        _form(kind="pain", region="neck_back", side="right", target="2"),
    )
    plan = PlanOfCare.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/plans/{plan.pk}/"
    assert plan.goals.get().position == 1  # the blank first row is left out
    client.post(f"/plans/{plan.pk}/sign")
    plan.refresh_from_db()
    assert plan.status == "active"
    page = client.get(f"/plans/{plan.pk}/").content.decode()
    assert "Make a new version" in page and "Pain, Neck (back)" in page


def test_a_goal_the_service_refuses_is_shown_on_its_row(client, therapist, patient):
    client.force_login(therapist)
    answer = client.post(
        f"/patients/{patient.pk}/plan/new/", _form(kind="pain", region="neck_back", target="12")
    )
    assert answer.status_code == 200
    page = answer.content.decode()
    assert "This goal needs it." in page and "Between 0 and 10." in page
    assert not PlanOfCare.objects.exists()


def test_plan_pages_are_404_for_front_desk_and_other_clinics(
    client, therapist, front_desk, stranger, patient
):
    plan = signed_plan(patient=patient, therapist=therapist)
    for user in (front_desk, stranger):
        client.force_login(user)
        for url in (
            f"/plans/{plan.pk}/",
            f"/plans/{plan.pk}/edit/",
            f"/patients/{patient.pk}/plan/new/",
        ):
            assert client.get(url).status_code == 404
        assert client.post(f"/plans/{plan.pk}/discharge", {"reason": "plateau"}).status_code == 404
    plan.refresh_from_db()
    assert plan.status == "active"


def test_the_chart_shows_progress_and_the_home_page_due_reassessments(client, therapist, patient):
    plan = signed_plan(
        patient=patient,
        therapist=therapist,
        reassess_on=timezone.localdate(timezone=patient.clinic.zone),
    )
    for minutes, score in ((1, 6), (2, 4)):
        PainScoreFactory(
            patient=patient,
            region="lower_back",
            side="both",
            score=score,
            recorded_at=timezone.now() + dt.timedelta(minutes=minutes),
        )
    client.force_login(therapist)
    chart = client.get(f"/patients/{patient.pk}/").content.decode()
    assert 'value="50"' in chart and "Open the plan" in chart
    home = client.get("/").content.decode()
    assert f"/plans/{plan.pk}/" in home


def test_the_progress_report_includes_the_plan_in_a_fixed_number_of_queries(
    client, therapist, patient, django_assert_max_num_queries
):
    signed_plan(patient=patient, therapist=therapist)
    client.force_login(therapist)
    for minutes, score in ((1, 6), (2, 4)):
        PainScoreFactory(
            patient=patient,
            region="lower_back",
            side="both",
            score=score,
            recorded_at=timezone.now() + dt.timedelta(minutes=minutes),
        )
        with django_assert_max_num_queries(13):
            page = client.get(f"/dashboard/patients/{patient.pk}/").content.decode()
    plan = page[page.index('id="plan-of-care"') : page.index("Pain (0-10) by region")]
    assert "Low back pain after long drives." in plan and 'value="50"' in plan
