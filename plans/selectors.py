"""Reads about plans of care, scoped by `clinic.permissions.visible`.

Not found: a selector that reads one plan raises `PlanOfCare.DoesNotExist` when the user may
not see it (another clinic's, front desk's, a restricted patient's); views answer 404. A
patient without a plan gets `None` from `current_plan`: an answer, not a miss."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    DateTimeField,
    DecimalField,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from clinic.permissions import access_for, visible
from clinic.types import AnyUser, User
from outcomes.models import InstrumentResponse
from patients.models import FunctionalScore, PainScore, PainSource, Patient
from sessions.models import MobilityMeasurement, TreatmentSession

from .models import Comparator, PlanGoal, PlanOfCare

# Pain: the baseline may be the intake's rating; the latest is a pre-session or check-in
# rating, never the one right after a session (residual soreness understates the benefit,
# domain.md).
BASELINE_PAIN_SOURCES = (PainSource.INTAKE, PainSource.PRE_SESSION, PainSource.CHECK_IN)
LATEST_PAIN_SOURCES = (PainSource.PRE_SESSION, PainSource.CHECK_IN)
# Pain, degrees and PSFS are whole numbers; an index's total may have decimals.
VALUE: DecimalField = DecimalField(max_digits=7, decimal_places=2)
# An upper bound for "no end yet" that PostgreSQL and SQLite compare like any time.
NO_END = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)


def plans_of(*, user: AnyUser) -> QuerySet[PlanOfCare]:
    return visible(user, PlanOfCare).select_related("patient", "therapist", "signed_by")


def plan_get(*, user: User, plan_id: int) -> PlanOfCare:
    return plans_of(user=user).get(pk=plan_id)


def patient_plans(*, user: User, patient: Patient) -> QuerySet[PlanOfCare]:
    """Every version of every plan of the patient, newest episode and version first."""
    return plans_of(user=user).filter(patient=patient).order_by("-opened_at", "-version")


def current_plan(*, user: User, patient: Patient) -> PlanOfCare | None:
    """The plan the chart leads with: the active one, else the draft being written, else the
    last discharged episode's final version."""
    order = Case(
        When(status=PlanOfCare.Status.ACTIVE, then=Value(0)),
        When(status=PlanOfCare.Status.DRAFT, then=Value(1)),
        When(status=PlanOfCare.Status.DISCHARGED, then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )
    return (
        patient_plans(user=user, patient=patient)
        .exclude(status=PlanOfCare.Status.SUPERSEDED)
        .order_by(order, "-opened_at")
        .first()
    )


def _readings(kind: str, *, for_baseline: bool) -> QuerySet:
    """One goal's readings (value, at) as a subquery of the goal row (OuterRef)."""
    patient = OuterRef("plan__patient_id")
    if kind == PlanGoal.Kind.PAIN:
        sources = BASELINE_PAIN_SOURCES if for_baseline else LATEST_PAIN_SOURCES
        return PainScore.objects.filter(
            patient_id=patient,
            region=OuterRef("region"),
            side=OuterRef("side"),
            score__isnull=False,
            source__in=sources,
        ).annotate(value=F("score"), at=F("recorded_at"))
    if kind == PlanGoal.Kind.ROM:
        return MobilityMeasurement.objects.filter(
            patient_id=patient, movement_id=OuterRef("movement_id"), side=OuterRef("side")
        ).annotate(value=F("degrees"), at=F("measured_at"))
    if kind == PlanGoal.Kind.INSTRUMENT:
        # The goal's own version of the index: totals are never compared across versions.
        return InstrumentResponse.objects.filter(
            patient_id=patient, instrument_id=OuterRef("instrument_id"), total__isnull=False
        ).annotate(value=F("total"), at=F("taken_at"))
    # PSFS 2.0 reverses the scale: turned round so that higher is always better.
    return FunctionalScore.objects.filter(
        patient_id=patient, activity__iexact=OuterRef("activity")
    ).annotate(
        value=Case(
            When(instrument=FunctionalScore.Instrument.PSFS_2, then=10 - F("score")),
            default=F("score"),
            output_field=IntegerField(),
        ),
        at=F("recorded_at"),
    )


def _by_kind(build, output_field) -> Case:
    return Case(
        *(When(kind=kind, then=build(kind)) for kind in PlanGoal.Kind.values),
        default=Value(None),
        output_field=output_field,
    )


def _baseline(field: str, kind: str):
    before = _readings(kind, for_baseline=True).filter(at__lte=OuterRef("plan__opened_at"))
    after = _readings(kind, for_baseline=True).filter(at__gt=OuterRef("plan__opened_at"))
    return Coalesce(
        Subquery(before.order_by("-at", "-pk").values(field)[:1]),
        Subquery(after.order_by("at", "pk").values(field)[:1]),
    )


def _latest(field: str, kind: str):
    later = _readings(kind, for_baseline=False).filter(
        at__gt=OuterRef("baseline_at"), at__lte=OuterRef("plan_end")
    )
    return Subquery(later.order_by("-at", "-pk").values(field)[:1])


@dataclass(frozen=True)
class GoalProgress:
    goal: PlanGoal
    baseline: Decimal | None
    baseline_at: dt.datetime | None
    latest: Decimal | None
    latest_at: dt.datetime | None

    @property
    def current(self) -> Decimal | None:
        return self.latest if self.latest is not None else self.baseline

    @property
    def met(self) -> bool:
        if self.current is None:
            return False
        if self.goal.comparator == Comparator.AT_MOST:
            return self.current <= self.goal.target
        return self.current >= self.goal.target

    @property
    def percent(self) -> int:
        """How far from the baseline toward the target the latest reading has come, 0-100."""
        if self.met:
            return 100
        if self.baseline is None or self.latest is None:
            return 0
        distance = abs(self.baseline - self.goal.target)
        moved = self.baseline - self.latest
        if self.goal.comparator == Comparator.AT_LEAST:
            moved = -moved
        return max(0, min(100, round(100 * moved / distance))) if distance else 100

    def as_summary(self) -> dict:
        """What discharge keeps of this goal (JSON)."""
        return {
            "goal": self.goal.pk,
            "label": self.goal.label,
            "kind": self.goal.kind,
            "comparator": self.goal.comparator,
            "target": float(self.goal.target),
            "baseline": _number(self.baseline),
            "baseline_at": self.baseline_at.isoformat() if self.baseline_at else None,
            "latest": _number(self.latest),
            "latest_at": self.latest_at.isoformat() if self.latest_at else None,
            "met": self.met,
        }


def _number(value: Decimal | None) -> int | float | None:
    """A reading for JSON: whole numbers stay whole (pain 4, not 4.0)."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def goal_progress(*, plan: PlanOfCare) -> list[GoalProgress]:
    """Each goal of the plan with its baseline (the measure as it stood when the episode
    opened, else its first reading after) and its latest reading since, up to discharge:
    one query, whatever the number of goals or readings."""
    goals = (
        PlanGoal.objects.filter(plan=plan)
        .select_related("movement", "instrument", "plan")
        .annotate(
            plan_end=Coalesce("plan__discharged_at", Value(NO_END, output_field=DateTimeField())),
            baseline=_by_kind(lambda kind: _baseline("value", kind), VALUE),
            baseline_at=_by_kind(lambda kind: _baseline("at", kind), DateTimeField()),
        )
        .annotate(
            latest=_by_kind(lambda kind: _latest("value", kind), VALUE),
            latest_at=_by_kind(lambda kind: _latest("at", kind), DateTimeField()),
        )
        .order_by("position", "id")
    )
    return [
        GoalProgress(
            goal=goal,
            baseline=goal.baseline,
            baseline_at=goal.baseline_at,
            latest=goal.latest,
            latest_at=goal.latest_at,
        )
        for goal in goals
    ]


def episode_start(plan: PlanOfCare) -> dt.datetime:
    """The clinic day the episode opened, from its midnight: that day's sessions belong to it."""
    zone = plan.patient.clinic.zone
    opened = timezone.localtime(plan.opened_at, zone)
    return opened.replace(hour=0, minute=0, second=0, microsecond=0)


def plan_sessions(*, plan: PlanOfCare) -> QuerySet[TreatmentSession]:
    """The sessions that belong to the plan's episode: the patient's, not discarded, from the
    day it opened to its discharge (sessions know nothing of plans: the period links them)."""
    sessions = TreatmentSession.objects.filter(
        patient_id=plan.patient_id,
        discarded_at__isnull=True,
        started_at__gte=episode_start(plan),
    )
    if plan.discharged_at:
        sessions = sessions.filter(started_at__lte=plan.discharged_at)
    return sessions.order_by("started_at")


def plan_session_counts(*, plan: PlanOfCare) -> dict[str, int]:
    return plan_sessions(plan=plan).aggregate(
        total=Count("pk"), signed=Count("pk", filter=Q(status=TreatmentSession.Status.SIGNED))
    )


def reassessments_due(*, user: User, limit: int = 50) -> QuerySet[PlanOfCare]:
    """Active plans whose re-assessment is due today or overdue (the clinic's day): a
    therapist's own; every plan of the clinics they manage for a manager."""
    today = timezone.localdate()
    plans = plans_of(user=user).filter(status=PlanOfCare.Status.ACTIVE, reassess_on__lte=today)
    managed = access_for(user).managed_clinic_ids
    plans = plans.filter(Q(therapist=user) | Q(patient__clinic_id__in=managed))
    return plans.order_by("reassess_on", "pk")[:limit]


def plan_summary(*, user: User, patient: Patient) -> dict:
    """The current plan with each goal's progress and its session counts (`plan`, `progress`,
    `counts`), as the chart and the progress report show it; `plan` None when there is none.
    Three queries."""
    plan = current_plan(user=user, patient=patient)
    if plan is None:
        return {"plan": None, "progress": [], "counts": None}
    return {
        "plan": plan,
        "progress": goal_progress(plan=plan),
        "counts": plan_session_counts(plan=plan),
    }
