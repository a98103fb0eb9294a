"""The plans API: scoped like the pages, per-field 400s, 409 on a signed plan."""

import datetime as dt

import pytest
from django.utils import timezone

from clinic.models import AuditEvent
from plans.models import PlanOfCare
from tests.api_client import api_as
from tests.factories import PainScoreFactory, PatientFactory
from tests.plans.helpers import signed_plan

pytestmark = pytest.mark.django_db

BODY = {
    "complaint": "Neck pain at the desk",
    "regions": ["neck_back"],
    "sessions_per_week": 2,
    "weeks": 4,
    "reassess_on": "2030-01-10",
    "goals": [
        {"kind": "pain", "region": "neck_back", "side": "right", "target": 2},
        {"kind": "rom", "movement": "cervical-rotation", "side": "left", "target": 70},
        {"kind": "psfs", "activity": "Checking the blind spot", "target": 8},
    ],
}


def test_a_therapist_creates_edits_signs_and_discharges_a_plan(therapist, patient):
    api = api_as(therapist)
    created = api.post("/api/v1/plans/", {**BODY, "patient": patient.pk}, format="json")
    assert created.status_code == 201, created.json()
    plan = created.json()
    assert [g["comparator"] for g in plan["goals"]] == ["lte", "gte", "gte"]
    assert plan["goals"][1]["movement"] == "cervical-rotation"
    url = f"/api/v1/plans/{plan['id']}/"
    changed = api.patch(url, {"weeks": 6, "goals": BODY["goals"][:1]}, format="json")
    assert changed.status_code == 200 and changed.json()["weeks"] == 6
    assert len(changed.json()["goals"]) == 1
    assert api.post(url + "sign/").json()["status"] == "active"
    assert api.patch(url, {"weeks": 8}, format="json").status_code == 409
    assert api.post(url + "discard/").status_code == 409
    done = api.post(url + "discharge/", {"reason": "plateau", "note": "Stable"}, format="json")
    assert done.status_code == 200
    assert done.json()["status"] == "discharged"
    assert done.json()["outcome_summary"][0]["target"] == 2.0
    assert AuditEvent.objects.filter(object_id=str(plan["id"]), action="sign").exists()


def test_bad_input_answers_400_per_field(therapist, patient):
    api = api_as(therapist)
    body = {
        **BODY,
        "patient": patient.pk,
        "weeks": 0,
        "regions": ["elbowz"],
        "reassess_on": "soon",
        "goals": [
            {"kind": "pain", "region": "neck_back", "side": "right", "target": -1},
            {"kind": "rom", "movement": "wiggle", "side": "left", "target": 70},
            {"kind": "psfs", "activity": "x", "target": 8, "targte": 9},
            {"kind": "pain", "region": "neck_back", "side": "", "target": 12},
        ],
    }
    answer = api.post("/api/v1/plans/", body, format="json")
    assert answer.status_code == 400
    errors = answer.json()
    assert {"weeks", "regions", "reassess_on", "goals"} <= set(errors)
    goals = errors["goals"]
    assert "target" in goals["0"] and "movement" in goals["1"] and "targte" in goals["2"]
    # Valid shapes, but the goal makes no sense: the service's per-field message.
    body = {**BODY, "patient": patient.pk, "goals": [body["goals"][3]]}
    answer = api.post("/api/v1/plans/", body, format="json")
    assert answer.status_code == 400
    assert {"goals.0.side", "goals.0.target"} <= set(answer.json())
    for bad in ("not json", {"patient": "x"}, []):
        assert api.post("/api/v1/plans/", bad, format="json").status_code == 400
    assert not PlanOfCare.objects.exists()


def test_plans_are_scoped_to_the_clinic_and_to_clinical_staff(
    therapist, front_desk, stranger, patient, patient_b
):
    plan = signed_plan(patient=patient, therapist=therapist)
    url = f"/api/v1/plans/{plan.pk}/"
    assert api_as(stranger).get(url).status_code == 404
    assert api_as(stranger).post(url + "discharge/", {"reason": "plateau"}).status_code == 404
    assert api_as(stranger).get("/api/v1/plans/").json()["results"] == []
    assert api_as(front_desk).get("/api/v1/plans/").status_code == 403
    assert api_as(front_desk).get(url).status_code == 403
    answer = api_as(therapist).post(
        "/api/v1/plans/", {**BODY, "patient": patient_b.pk}, format="json"
    )
    assert answer.status_code == 400 and "patient" in answer.json()
    assert api_as(therapist).get("/api/v1/plans/999999/").status_code == 404
    goals = api_as(therapist).get(f"/api/v1/plan-goals/?patient={patient.pk}").json()
    assert [g["plan"] for g in goals["results"]] == [plan.pk]
    assert api_as(therapist).get(f"/api/v1/plan-goals/?patient={patient_b.pk}").status_code == 400


def test_a_new_version_through_the_api(therapist, patient):
    plan = signed_plan(patient=patient, therapist=therapist)
    api = api_as(therapist)
    assert api.post(f"/api/v1/plans/{plan.pk}/revise/", {}, format="json").status_code == 400
    draft = api.post(f"/api/v1/plans/{plan.pk}/revise/", {"reason": "Longer course"})
    assert draft.status_code == 201
    body = draft.json()
    assert (body["version"], body["previous"], body["status"]) == (2, plan.pk, "draft")
    api.patch(f"/api/v1/plans/{body['id']}/", {"weeks": 10}, format="json")
    assert api.post(f"/api/v1/plans/{body['id']}/sign/").status_code == 200
    old = api.get(f"/api/v1/plans/{plan.pk}/").json()
    assert (old["status"], old["weeks"]) == ("superseded", 6)


def test_the_detail_shows_progress_and_the_list_a_fixed_number_of_queries(
    therapist, patient, clinic_a, django_assert_max_num_queries
):
    plan = signed_plan(patient=patient, therapist=therapist)
    PainScoreFactory(
        patient=patient,
        region="lower_back",
        side="both",
        score=6,
        recorded_at=timezone.now() + dt.timedelta(minutes=1),
    )
    PainScoreFactory(
        patient=patient,
        region="lower_back",
        side="both",
        score=4,
        source="check_in",
        recorded_at=timezone.now() + dt.timedelta(minutes=2),
    )
    detail = api_as(therapist).get(f"/api/v1/plans/{plan.pk}/").json()
    assert detail["progress"][0] | {"baseline_at": None, "latest_at": None} == {
        "goal": plan.goals.get().pk,
        "baseline": 6,
        "latest": 4,
        "percent": 50,
        "met": False,
        "baseline_at": None,
        "latest_at": None,
    }
    for _ in range(5):
        other = PatientFactory(clinic=clinic_a)
        signed_plan(patient=other, therapist=therapist)
    api = api_as(therapist)
    with django_assert_max_num_queries(12):
        listed = api.get("/api/v1/plans/?page_size=100")
    assert listed.json()["count"] == 6
