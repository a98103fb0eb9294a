"""Writes to plans of care. Each is one atomic step that re-reads the plan under a row lock and
writes its audit row in the same transaction. A signed plan is never edited: `plan_revise`
starts its next version, which replaces it when signed (the signed one stays, superseded)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.audit import audit_record
from clinic.models import AuditEvent
from clinic.permissions import access_for
from clinic.transactions import retrying_atomic
from clinic.types import User
from patients.models import Patient
from sessions.models import SignedRecordLocked

from .models import DischargeReason, PlanGoal, PlanOfCare
from .selectors import goal_progress

PLAN_FIELDS = ("complaint", "regions", "sessions_per_week", "weeks", "reassess_on")
GOAL_FIELDS = ("kind", "region", "side", "movement", "activity", "instrument", "target")


def _require_clinician(user: User, patient: Patient) -> None:
    if not access_for(user).may_read_clinical(patient.clinic_id):
        raise PermissionDenied("Only clinical staff of the patient's clinic write plans of care.")


def _lock_patient(patient: Patient) -> Patient:
    # Every plan write of one patient queues here, so "one draft, one active plan" is checked
    # against what is committed (the constraints are the last word).
    locked = Patient.objects.select_for_update(no_key=True).get(pk=patient.pk)
    if locked.is_restricted:
        raise ValidationError({"patient": [_("This record is restricted by an erasure request.")]})
    return locked


def _lock_plan(plan: PlanOfCare, *, status: str) -> PlanOfCare:
    _lock_patient(plan.patient)
    locked = PlanOfCare.objects.select_for_update(no_key=True).get(pk=plan.pk)
    if locked.status != status:
        if status == PlanOfCare.Status.DRAFT:
            raise SignedRecordLocked(f"Plan {plan.pk} is signed; make a new version.")
        raise ValidationError(
            {"status": [_("Only an active plan can be changed this way: this one is %(s)s.")
                        % {"s": locked.get_status_display()}]}
        )  # fmt: skip
    return locked


def _goals_built(plan: PlanOfCare, items: list[dict], errors: dict) -> list[PlanGoal]:
    """Unsaved, validated goals; each invalid goal's messages go into `errors` as
    `goals.<index>.<field>`."""
    built = []
    for index, item in enumerate(items):
        unknown = set(item) - set(GOAL_FIELDS)
        if unknown:
            raise ValueError(f"{sorted(unknown)} are not goal fields")
        goal = PlanGoal(plan=plan, position=index + 1, **item)
        try:
            goal.full_clean(exclude=["plan", "comparator"])
        except ValidationError as exc:
            errors |= {f"goals.{index}.{k}": v for k, v in exc.message_dict.items()}
        instrument = item.get("instrument")
        if instrument is not None and instrument.clinic_id not in (None, plan.patient.clinic_id):
            errors[f"goals.{index}.instrument"] = [_("Choose one of the clinic's questionnaires.")]
        built.append(goal)
    return built


def _plan_validated(plan: PlanOfCare, values: dict, goals: list[dict] | None) -> list[PlanGoal]:
    for name, value in values.items():
        if name not in PLAN_FIELDS:
            raise ValueError(f"{name} is not a plan field")
        setattr(plan, name, value)
    errors: dict[str, list[str]] = {}
    try:
        plan.full_clean(exclude=["patient", "therapist", "previous"])
    except ValidationError as exc:
        errors |= exc.message_dict
    built = _goals_built(plan, goals, errors) if goals is not None else []
    if errors:
        raise ValidationError(errors)
    return built


def _goals_replace(plan: PlanOfCare, built: list[PlanGoal]) -> None:
    PlanGoal.objects.filter(plan=plan).delete()
    for goal in built:
        goal.plan = plan
    PlanGoal.objects.bulk_create(built)


@retrying_atomic
def plan_create(
    *, patient: Patient, actor: User, goals: list[dict] | None = None, **values
) -> PlanOfCare:
    """Start a patient's plan of care (a draft; the actor is its therapist). Refused while the
    patient has an active plan (make its next version) or another draft."""
    _require_clinician(actor, patient)
    patient = _lock_patient(patient)
    if PlanOfCare.objects.filter(patient=patient, status=PlanOfCare.Status.ACTIVE).exists():
        raise ValidationError(
            {"patient": [_("This patient has an active plan of care: make a new version of it, "
                           "or discharge it first.")]}
        )  # fmt: skip
    if PlanOfCare.objects.filter(patient=patient, status=PlanOfCare.Status.DRAFT).exists():
        raise ValidationError(
            {"patient": [_("A draft plan of care is already being written for this patient.")]}
        )
    plan = PlanOfCare(patient=patient, therapist=actor, opened_at=timezone.now())
    built = _plan_validated(plan, values, goals or [])
    plan.save()
    _goals_replace(plan, built)
    audit_record(action=AuditEvent.Action.CREATE, actor=actor, obj=plan, patient=patient)
    return plan


@retrying_atomic
def plan_update(
    *, plan: PlanOfCare, actor: User, goals: list[dict] | None = None, **values
) -> PlanOfCare:
    """Change a draft: its fields, and (when `goals` is given) its whole list of goals."""
    _require_clinician(actor, plan.patient)
    plan = _lock_plan(plan, status=PlanOfCare.Status.DRAFT)
    built = _plan_validated(plan, values, goals)
    plan.save()
    if goals is not None:
        _goals_replace(plan, built)
    changed = [*values, *(["goals"] if goals is not None else [])]
    audit_record(
        action=AuditEvent.Action.UPDATE, actor=actor, obj=plan, patient=plan.patient, fields=changed
    )
    return plan


@retrying_atomic
def plan_sign(*, plan: PlanOfCare, actor: User) -> PlanOfCare:
    """Lock the draft and make it the patient's active plan; a new version replaces the version
    it was made from, which stays as signed (superseded)."""
    _require_clinician(actor, plan.patient)
    plan = _lock_plan(plan, status=PlanOfCare.Status.DRAFT)
    if not plan.goals.exists():
        raise ValidationError({"goals": [_("Set at least one goal before signing the plan.")]})
    previous = None
    if plan.previous_id:
        previous = PlanOfCare.objects.select_for_update(no_key=True).get(pk=plan.previous_id)
        if previous.status != PlanOfCare.Status.ACTIVE:
            raise ValidationError(
                {"previous": [_("The version this one replaces is no longer active.")]}
            )
        previous.status = PlanOfCare.Status.SUPERSEDED
        previous.save_transition(fields=["status"])
    elif PlanOfCare.objects.filter(patient=plan.patient, status=PlanOfCare.Status.ACTIVE).exists():
        raise ValidationError({"patient": [_("This patient already has an active plan of care.")]})
    plan.status = PlanOfCare.Status.ACTIVE
    plan.signed_at = timezone.now()
    plan.signed_by = actor
    # The stored row is still a draft: the model's lock lets this one transition through.
    plan.save()
    audit_record(action=AuditEvent.Action.SIGN, actor=actor, obj=plan, patient=plan.patient)
    return plan


@retrying_atomic
def plan_revise(*, plan: PlanOfCare, actor: User, reason: str) -> PlanOfCare:
    """Start the next version of an active plan: a draft with the same fields and goals, which
    replaces it only when signed. The signed version is never touched."""
    _require_clinician(actor, plan.patient)
    plan = _lock_plan(plan, status=PlanOfCare.Status.ACTIVE)
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why the plan changes.")]})
    if PlanOfCare.objects.filter(patient=plan.patient, status=PlanOfCare.Status.DRAFT).exists():
        raise ValidationError(
            {"patient": [_("A draft plan of care is already being written for this patient.")]}
        )
    draft = PlanOfCare(
        patient=plan.patient,
        therapist=actor,
        previous=plan,
        version=plan.version + 1,
        opened_at=plan.opened_at,
        revision_reason=reason.strip()[:200],
        **{name: getattr(plan, name) for name in PLAN_FIELDS},
    )
    draft.full_clean(exclude=["patient", "therapist", "previous"])
    draft.save()
    copies = [
        PlanGoal(plan=draft, position=g.position, comparator=g.comparator,
                 **{name: getattr(g, name) for name in GOAL_FIELDS})
        for g in plan.goals.all()
    ]  # fmt: skip
    PlanGoal.objects.bulk_create(copies)
    audit_record(action=AuditEvent.Action.CREATE, actor=actor, obj=draft, patient=plan.patient)
    return draft


@retrying_atomic
def plan_discard(*, plan: PlanOfCare, actor: User) -> None:
    """Throw away a draft (a signed plan is never discarded: SignedRecordLocked). The record
    history keeps its last state."""
    _require_clinician(actor, plan.patient)
    plan = _lock_plan(plan, status=PlanOfCare.Status.DRAFT)
    audit_record(action=AuditEvent.Action.DISCARD, actor=actor, obj=plan, patient=plan.patient)
    PlanGoal.objects.filter(plan=plan).delete()
    PlanOfCare.objects.filter(pk=plan.pk, status=PlanOfCare.Status.DRAFT).delete()


@retrying_atomic
def plan_discharge(*, plan: PlanOfCare, actor: User, reason: str, note: str = "") -> PlanOfCare:
    """End the episode: the reason, and an outcome summary computed now (per goal, baseline vs
    latest and whether it was met) that stays with the plan as it was at discharge."""
    _require_clinician(actor, plan.patient)
    plan = _lock_plan(plan, status=PlanOfCare.Status.ACTIVE)
    if reason not in DischargeReason.values:
        raise ValidationError({"reason": [_("Choose a reason for the discharge.")]})
    plan.discharged_at = timezone.now()
    plan.discharged_by = actor
    plan.discharge_reason = reason
    plan.discharge_note = note.strip()
    plan.outcome_summary = [row.as_summary() for row in goal_progress(plan=plan)]
    plan.status = PlanOfCare.Status.DISCHARGED
    plan.save_transition(
        fields=["status", "discharged_at", "discharged_by", "discharge_reason", "discharge_note",
                "outcome_summary"]
    )  # fmt: skip
    audit_record(
        action=AuditEvent.Action.UPDATE,
        actor=actor,
        obj=plan,
        patient=plan.patient,
        fields=["status", "discharge_reason"],
    )
    return plan
