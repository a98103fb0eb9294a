"""Plans of care through their services: drafts, signing, versions, discharge, locking."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from clinic.models import AuditEvent, RecordVersion
from outcomes.models import Instrument
from outcomes.services import response_record
from patients.models import FunctionalScore
from plans.models import PlanGoal, PlanOfCare
from plans.selectors import goal_progress, plan_session_counts
from plans.services import (
    plan_create,
    plan_discard,
    plan_discharge,
    plan_revise,
    plan_sign,
    plan_update,
)
from sessions.models import Movement, SignedRecordLocked
from sessions.services import session_sign, session_update
from tests.factories import PainScoreFactory, TreatmentSessionFactory
from tests.plans.helpers import PAIN_GOAL, signed_plan

pytestmark = pytest.mark.django_db

FIELDS = {
    "complaint": "Neck pain at the desk",
    "regions": ["neck_back"],
    "sessions_per_week": 2,
    "weeks": 4,
    "reassess_on": dt.date(2030, 1, 10),
}


def test_a_draft_plan_keeps_its_goals_and_is_audited(patient, therapist):
    plan = plan_create(
        patient=patient,
        actor=therapist,
        goals=[
            PAIN_GOAL,
            {
                "kind": "rom",
                "movement": Movement.objects.get(code="cervical-rotation"),
                "side": "left",
                "target": 70,
            },
            {"kind": "psfs", "activity": "Putting on socks", "target": 7},
        ],
        **FIELDS,
    )
    goals = list(plan.goals.all())
    assert [g.kind for g in goals] == ["pain", "rom", "psfs"]
    assert [g.comparator for g in goals] == ["lte", "gte", "gte"]
    assert plan.status == "draft" and plan.planned_sessions == 8
    assert AuditEvent.objects.filter(action="create", object_id=str(plan.pk)).exists()


def test_invalid_goals_are_refused_field_by_field(patient, therapist):
    with pytest.raises(ValidationError) as refused:
        plan_create(
            patient=patient,
            actor=therapist,
            goals=[
                {"kind": "pain", "region": "lower_back", "side": "", "target": 11},
                {"kind": "rom", "side": "left", "target": 400},
                {"kind": "psfs", "activity": " ", "target": 7},
            ],
            **{**FIELDS, "weeks": 0, "regions": ["elbowz"]},
        )
    errors = refused.value.message_dict
    assert {
        "weeks",
        "regions",
        "goals.0.side",
        "goals.0.target",
        "goals.1.movement",
        "goals.1.target",
        "goals.2.activity",
    } <= set(errors)
    assert not PlanOfCare.objects.exists()


def test_front_desk_and_another_clinic_cannot_write_plans(patient, front_desk, stranger):
    for user in (front_desk, stranger):
        with pytest.raises(PermissionDenied):
            plan_create(patient=patient, actor=user, goals=[PAIN_GOAL], **FIELDS)


def test_signing_needs_a_goal_and_one_active_plan_per_patient(patient, therapist, manager):
    empty = plan_create(patient=patient, actor=therapist, goals=[], **FIELDS)
    with pytest.raises(ValidationError, match="at least one goal"):
        plan_sign(plan=empty, actor=therapist)
    plan_update(plan=empty, actor=manager, goals=[PAIN_GOAL])
    plan_sign(plan=empty, actor=therapist)
    with pytest.raises(ValidationError) as refused:
        plan_create(patient=patient, actor=therapist, goals=[PAIN_GOAL], **FIELDS)
    assert "patient" in refused.value.message_dict


@pytest.mark.postgres
def test_the_database_refuses_a_second_active_plan(patient, therapist):
    plan = signed_plan(patient=patient, therapist=therapist)
    twin = PlanOfCare(
        patient=patient,
        therapist=therapist,
        status="active",
        opened_at=timezone.now(),
        signed_at=timezone.now(),
        signed_by=therapist,
        **{**FIELDS, "reassess_on": plan.reassess_on},
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


def test_a_signed_plan_is_locked_in_the_model(patient, therapist):
    plan = signed_plan(patient=patient, therapist=therapist)
    with pytest.raises(SignedRecordLocked):
        plan_update(plan=plan, actor=therapist, complaint="changed")
    plan.complaint = "changed"
    with pytest.raises(SignedRecordLocked):
        plan.save()
    goal = plan.goals.get()
    goal.target = 5
    with pytest.raises(SignedRecordLocked):
        goal.save()
    with pytest.raises(SignedRecordLocked):
        plan_discard(plan=plan, actor=therapist)


@pytest.mark.postgres
def test_a_signed_plan_is_locked_in_the_database(patient, therapist):
    plan = signed_plan(patient=patient, therapist=therapist)
    for sql in (
        "UPDATE plans_planofcare SET complaint = 'x' WHERE id = %s",
        "UPDATE plans_planofcare SET status = 'draft' WHERE id = %s",
        "DELETE FROM plans_planofcare WHERE id = %s",
        "UPDATE plans_plangoal SET target = 9 WHERE plan_id = %s",
        "DELETE FROM plans_plangoal WHERE plan_id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="locked"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [plan.pk])
    with pytest.raises(DatabaseError, match="locked"), transaction.atomic():
        PlanGoal.objects.bulk_create(
            [PlanGoal(plan=plan, kind="psfs", activity="x", comparator="gte", target=5)]
        )


def test_a_new_version_replaces_the_signed_one_which_stays_visible(patient, therapist):
    first = signed_plan(patient=patient, therapist=therapist)
    with pytest.raises(ValidationError):
        plan_revise(plan=first, actor=therapist, reason=" ")
    second = plan_revise(plan=first, actor=therapist, reason="Add a function goal")
    assert (second.version, second.previous_id, second.opened_at) == (2, first.pk, first.opened_at)
    plan_update(
        plan=second,
        actor=therapist,
        weeks=8,
        goals=[PAIN_GOAL, {"kind": "psfs", "activity": "Driving 1 hour", "target": 8}],
    )
    first.refresh_from_db()
    assert first.status == "active" and first.weeks == 6  # untouched until the new one is signed
    plan_sign(plan=second, actor=therapist)
    first.refresh_from_db()
    assert first.status == "superseded" and first.weeks == 6 and first.goals.count() == 1
    assert PlanOfCare.objects.get(status="active") == second
    assert second.goals.count() == 2


def test_discharge_keeps_the_outcome_summary_per_goal(patient, therapist):
    PainScoreFactory(
        patient=patient,
        region="lower_back",
        side="both",
        score=7,
        source="intake",
        recorded_at=timezone.now() - dt.timedelta(days=2),
    )
    plan = signed_plan(
        patient=patient,
        therapist=therapist,
        goals=[PAIN_GOAL, {"kind": "psfs", "activity": "Putting on socks", "target": 7}],
    )
    PainScoreFactory(
        patient=patient,
        region="lower_back",
        side="both",
        score=2,
        source="check_in",
        recorded_at=timezone.now(),
    )
    with pytest.raises(ValidationError):
        plan_discharge(plan=plan, actor=therapist, reason="bored")
    plan = plan_discharge(plan=plan, actor=therapist, reason="goals_met", note="Back to driving")
    plan.refresh_from_db()
    assert plan.status == "discharged" and plan.discharge_reason == "goals_met"
    pain, psfs = plan.outcome_summary
    assert (pain["baseline"], pain["latest"], pain["target"], pain["met"]) == (7, 2, 2.0, True)
    assert (psfs["baseline"], psfs["latest"], psfs["met"]) == (None, None, False)
    with pytest.raises(ValidationError):
        plan_discharge(plan=plan, actor=therapist, reason="goals_met")


def test_progress_reads_baseline_then_latest_and_never_the_post_session_score(patient, therapist):
    plan = signed_plan(
        patient=patient,
        therapist=therapist,
        goals=[
            PAIN_GOAL,
            {
                "kind": "rom",
                "movement": Movement.objects.get(code="lumbar-flexion"),
                "side": "midline",
                "target": 55,
            },
            {"kind": "psfs", "activity": "putting on socks", "target": 8},
        ],
    )
    now = timezone.now()
    for minutes, source, score in (
        (1, "pre_session", 6),
        (2, "post_session", 1),
        (3, "check_in", 4),
    ):
        PainScoreFactory(
            patient=patient,
            region="lower_back",
            side="both",
            score=score,
            source=source,
            recorded_at=now + dt.timedelta(minutes=minutes),
        )
    for minutes, instrument, score in ((1, "psfs", 2), (3, "psfs2", 5)):
        FunctionalScore.objects.create(
            patient=patient,
            recorded_at=now + dt.timedelta(minutes=minutes),
            source="check_in",
            instrument=instrument,
            item=1,
            activity="Putting on socks",
            score=score,
        )
    pain, rom, psfs = goal_progress(plan=plan)
    assert (pain.baseline, pain.latest, pain.percent, pain.met) == (6, 4, 50, False)
    assert (rom.baseline, rom.latest, rom.percent) == (None, None, 0)
    # PSFS 2.0 turned round: 10 - 5 = 5; from 2 toward 8 is half-way.
    assert (psfs.baseline, psfs.latest, psfs.percent) == (2, 5, 50)


def test_sessions_from_the_plans_first_day_belong_to_it(patient, therapist):
    plan = signed_plan(patient=patient, therapist=therapist)
    TreatmentSessionFactory(
        patient=patient, therapist=therapist, started_at=plan.opened_at - dt.timedelta(days=3)
    )
    session = TreatmentSessionFactory(patient=patient, therapist=therapist, ready_to_sign=True)
    session_sign(session=session, user=therapist)
    TreatmentSessionFactory(patient=patient, therapist=therapist)
    assert plan_session_counts(plan=plan) == {"total": 2, "signed": 1}


def test_a_discarded_draft_leaves_its_history(patient, therapist):
    plan = plan_create(patient=patient, actor=therapist, goals=[PAIN_GOAL], **FIELDS)
    plan_discard(plan=plan, actor=therapist)
    assert not PlanOfCare.objects.exists()
    assert RecordVersion.objects.filter(table_name="plans_planofcare", row_id=plan.pk).exists()
    # The patient may start again.
    plan_create(patient=patient, actor=therapist, goals=[PAIN_GOAL], **FIELDS)


def test_a_session_signed_after_the_plan_counts_toward_progress(patient, therapist):
    plan = signed_plan(patient=patient, therapist=therapist)
    for score in (6, 4):
        session = TreatmentSessionFactory(patient=patient, therapist=therapist)
        session_update(
            session=session,
            user=therapist,
            pain=[
                {"source": "pre_session", "region": "lower_back", "side": "both", "score": score}
            ],
        )
        session_sign(session=session, user=therapist)
    (pain,) = goal_progress(plan=plan)
    assert (pain.baseline, pain.latest, pain.percent) == (6, 4, 50)


def test_an_instrument_goal_follows_its_totals_in_its_direction(patient, therapist, stranger):
    ndi = Instrument.objects.get(code="ndi", clinic__isnull=True)
    plan = signed_plan(
        patient=patient,
        therapist=therapist,
        goals=[{"kind": "instrument", "instrument": ndi, "target": 10}],
    )
    goal = plan.goals.get()
    assert (goal.comparator, goal.label) == ("lte", f"NDI {ndi.version} ≤ 10")
    for answer in (3, 2):  # totals 30 then 20 (10 items, 0-5 each)
        response_record(
            actor=therapist,
            patient=patient,
            instrument=ndi,
            answers={str(n): answer for n in range(1, 11)},
        )
    (row,) = goal_progress(plan=plan)
    assert (row.baseline, row.latest, row.percent, row.met) == (30, 20, 50, False)
    with pytest.raises(ValidationError) as refused:
        plan_update(
            plan=plan_revise(plan=plan, actor=therapist, reason="Harder target"),
            actor=therapist,
            goals=[{"kind": "instrument", "instrument": ndi, "target": 60}],
        )
    assert "goals.0.target" in refused.value.message_dict
