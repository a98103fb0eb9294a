"""A patient's plans leave with the record at erasure, and move with it in a merge."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from clinic.models import RecordVersion
from patients.models import Patient
from patients.services import patient_merge
from plans.models import PlanGoal, PlanOfCare, ReassessmentReminder
from plans.reminders import reassessments_remind
from plans.services import plan_create, plan_discard, plan_discharge, plan_revise, plan_sign
from scheduling.erasure import patient_erasure_request, patients_erase_due
from tests.factories import PatientFactory
from tests.plans.helpers import signed_plan
from tests.plans.test_services import FIELDS

pytestmark = pytest.mark.django_db


def test_erasure_deletes_every_version_goal_reminder_and_their_history(
    manager, therapist, stranger, patient, patient_b
):
    first = signed_plan(
        patient=patient,
        therapist=therapist,
        reassess_on=timezone.localdate(timezone=patient.clinic.zone),
    )
    reassessments_remind()
    second = plan_sign(plan=plan_revise(plan=first, actor=therapist, reason="x"), actor=therapist)
    plan_discharge(plan=second, actor=therapist, reason="goals_met")
    kept = signed_plan(patient=patient_b, therapist=stranger)
    assert ReassessmentReminder.objects.filter(plan=first).exists()
    goal_ids = list(PlanGoal.objects.filter(plan__patient=patient).values_list("pk", flat=True))
    patient_erasure_request(patient=patient, user=manager)
    Patient.objects.filter(pk=patient.pk).update(erase_after=timezone.now().date())
    assert patients_erase_due() == 1
    assert not PlanOfCare.objects.filter(patient_id=patient.pk).exists()
    assert not PlanGoal.objects.filter(plan_id__in=[first.pk, second.pk]).exists()
    assert not ReassessmentReminder.objects.exists()
    for table, ids in (
        ("plans_planofcare", [first.pk, second.pk]),
        ("plans_plangoal", goal_ids),
    ):
        assert not RecordVersion.objects.filter(table_name=table, row_id__in=ids).exists()
    assert PlanOfCare.objects.filter(pk=kept.pk).exists()


def test_a_merge_moves_plans_but_never_makes_two_active(manager, therapist, clinic_a):
    survivor = PatientFactory(clinic=clinic_a)
    duplicate = PatientFactory(clinic=clinic_a)
    mine = signed_plan(patient=survivor, therapist=therapist)
    theirs = signed_plan(patient=duplicate, therapist=therapist)
    with pytest.raises(ValidationError, match="active plan of care"):
        patient_merge(actor=manager, survivor=survivor, merged=duplicate)
    assert PlanOfCare.objects.get(pk=theirs.pk).patient_id == duplicate.pk
    plan_discharge(plan=theirs, actor=therapist, reason="referred")
    drafts = [plan_revise(plan=mine, actor=therapist, reason="x")]
    drafts.append(plan_create(patient=duplicate, actor=therapist, goals=[], **FIELDS))
    with pytest.raises(ValidationError, match="draft plan of care"):
        patient_merge(actor=manager, survivor=survivor, merged=duplicate)
    plan_discard(plan=drafts[1], actor=therapist)
    patient_merge(actor=manager, survivor=survivor, merged=duplicate)
    assert set(PlanOfCare.objects.filter(patient=survivor).values_list("pk", flat=True)) == {
        mine.pk,
        theirs.pk,
        drafts[0].pk,
    }
