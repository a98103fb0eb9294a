"""The demo clinic's plans of care: one per patient, goals on the course's own measures, and a
discharged plan's outcome summary exactly what the service computes from the records."""

import pytest
from django.core.management import call_command

from patients.models import Patient
from plans.models import PlanGoal, PlanOfCare
from plans.selectors import goal_progress

pytestmark = pytest.mark.django_db


def _number(value):
    return None if value is None else float(value)


def test_the_demo_has_plans_with_believable_progress():
    call_command("seed_demo", "--patients", "40", "--quiet")
    assert PlanOfCare.objects.count() == Patient.objects.count()
    assert set(PlanOfCare.objects.values_list("status", flat=True)) == {"active", "discharged"}
    assert set(PlanGoal.objects.values_list("kind", flat=True)) >= {"pain", "psfs"}
    improved = 0
    for plan in PlanOfCare.objects.select_related("patient__clinic"):
        rows = goal_progress(plan=plan)
        pain = rows[0]
        assert pain.goal.kind == "pain" and pain.baseline is not None
        improved += pain.latest is not None and pain.latest < pain.baseline
        if plan.status == "discharged":
            live = {row.goal.pk: row for row in rows}
            for entry in plan.outcome_summary:
                row = live[entry["goal"]]
                assert (entry["baseline"], entry["latest"], entry["met"]) == (
                    _number(row.baseline) if row.baseline is not None else None,
                    _number(row.latest) if row.latest is not None else None,
                    row.met,
                )
            met = all(entry["met"] for entry in plan.outcome_summary)
            assert (plan.discharge_reason == "goals_met") == met
    # Most courses improve (demo/catalogue.py: about two in three).
    assert improved > PlanOfCare.objects.count() / 2
