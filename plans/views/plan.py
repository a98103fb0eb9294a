"""The plan of care's pages, opened from the patient chart (therapists and managers of the
patient's clinic; 404 for anyone else): /patients/<id>/plan/new/, /plans/<id>/ (the plan, its
progress and versions, and what may be done with it), /plans/<id>/edit/ (a draft), and the
POSTs that sign, revise, discharge and discard."""

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from clinic.audit import audit_read
from clinic.feedback import service_error_messages
from clinic.permissions import access_for
from clinic.shortcuts import or_404
from clinic.types import StaffRequest
from patients.selectors import patient_get
from sessions.models import SignedRecordLocked

from .. import selectors, services
from ..forms import (
    BaseGoalFormSet,
    DischargeForm,
    GoalFormSet,
    PlanForm,
    ReviseForm,
    goal_initial,
)

REFUSALS = (ValidationError, SignedRecordLocked)


def _refused(form, formset, error: ValidationError) -> None:
    """A service's refusal beside the field it names (`goals.1.target` on the second row)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.message_dict.items():
        parts = name.split(".")
        if parts[0] == "goals" and len(parts) == 3 and int(parts[1]) < len(formset.forms):
            row = formset.forms[int(parts[1])]
            row.add_error(parts[2] if parts[2] in row.fields else None, errors)
        else:
            form.add_error(name if name in form.fields else None, errors)


def _rows_of_goals(formset) -> None:
    """The service numbers the goals it was given; the page's rows include blank ones."""
    named = [form for form in formset.forms if form.cleaned_data.get("kind")]
    formset.forms = named + [form for form in formset.forms if form not in named]


def _goals(formset) -> list[dict]:
    return cast("BaseGoalFormSet", formset).goals()


def _plan_form_page(request, *, patient, plan=None):
    initial = PlanForm.initial_of(plan) if plan else {"sessions_per_week": 1, "weeks": 6}
    form = PlanForm(request.POST or None, initial=initial)
    formset = GoalFormSet(
        request.POST or None,
        initial=goal_initial(plan) if plan else None,
        prefix="goals",
        form_kwargs={"clinic_id": patient.clinic_id},
    )
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        _rows_of_goals(formset)
        try:
            if plan is None:
                plan = services.plan_create(
                    patient=patient, actor=request.user, goals=_goals(formset), **form.cleaned_data
                )
            else:
                plan = services.plan_update(
                    plan=plan, actor=request.user, goals=_goals(formset), **form.cleaned_data
                )
        except ValidationError as error:
            _refused(form, formset, error)
        except SignedRecordLocked as error:
            service_error_messages(request, error)
            return redirect("plan_detail", plan.pk)
        else:
            messages.success(request, _("The plan is saved as a draft: sign it to start it."))
            return redirect("plan_detail", plan.pk)
    return render(
        request,
        "plans/plan_form.html",
        {"form": form, "formset": formset, "patient": patient, "plan": plan},
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_new(request: StaffRequest, patient_id: int):
    patient = or_404(patient_get, user=request.user, patient_id=patient_id)
    if not access_for(request.user).may_read_clinical(patient.clinic_id):
        raise Http404
    with timezone.override(patient.clinic.zone):
        return _plan_form_page(request, patient=patient)


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request: StaffRequest, pk: int):
    plan = or_404(selectors.plan_get, user=request.user, plan_id=pk)
    if not plan.is_draft:
        messages.error(request, _("A signed plan is not edited: make a new version of it."))
        return redirect("plan_detail", plan.pk)
    with timezone.override(plan.patient.clinic.zone):
        return _plan_form_page(request, patient=plan.patient, plan=plan)


@login_required
def plan_detail(request: StaffRequest, pk: int):
    plan = or_404(selectors.plan_get, user=request.user, plan_id=pk)
    audit_read(user=request.user, obj=plan)
    with timezone.override(plan.patient.clinic.zone):
        return render(
            request,
            "plans/plan_detail.html",
            {
                "plan": plan,
                "patient": plan.patient,
                "progress": selectors.goal_progress(plan=plan),
                "counts": selectors.plan_session_counts(plan=plan),
                "versions": selectors.patient_plans(user=request.user, patient=plan.patient),
                "revise_form": ReviseForm(),
                "discharge_form": DischargeForm(),
            },
        )


def _plan_action(request, pk: int, act, *, form_class=None, done: str, goto: str):
    """POST one transition of the plan; back to the plan page with the service's refusal, or
    on to `goto` (a URL name) with the plan the service returned."""
    plan = or_404(selectors.plan_get, user=request.user, plan_id=pk)
    values = {}
    if form_class is not None:
        form = form_class(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect("plan_detail", plan.pk)
        values = form.cleaned_data
    try:
        result = act(plan=plan, actor=request.user, **values)
    except REFUSALS as error:
        service_error_messages(request, error)
        return redirect("plan_detail", plan.pk)
    messages.success(request, done)
    return redirect(goto, result.pk)


@login_required
@require_POST
def plan_sign_view(request: StaffRequest, pk: int):
    return _plan_action(
        request, pk, services.plan_sign, done=_("The plan of care is signed."), goto="plan_detail"
    )


@login_required
@require_POST
def plan_revise_view(request: StaffRequest, pk: int):
    return _plan_action(
        request, pk, services.plan_revise, form_class=ReviseForm, goto="plan_edit",
        done=_("A new version is started: it replaces the signed one when you sign it."),
    )  # fmt: skip


@login_required
@require_POST
def plan_discharge_view(request: StaffRequest, pk: int):
    return _plan_action(
        request, pk, services.plan_discharge, form_class=DischargeForm, goto="plan_detail",
        done=_("The patient is discharged from the plan of care."),
    )  # fmt: skip


@login_required
@require_POST
def plan_discard_view(request: StaffRequest, pk: int):
    plan = or_404(selectors.plan_get, user=request.user, plan_id=pk)
    try:
        services.plan_discard(plan=plan, actor=request.user)
    except REFUSALS as error:
        service_error_messages(request, error)
        return redirect("plan_detail", plan.pk)
    messages.success(request, _("The draft plan is discarded."))
    return redirect("patient_chart", plan.patient_id)
