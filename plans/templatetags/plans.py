"""Plans' parts of pages other apps serve (the home page, the patient chart): their templates
load these, so sessions shows plans of care without importing plans."""

from django import template

from .. import selectors

register = template.Library()


@register.inclusion_tag("plans/_patient_plan.html", takes_context=True)
def patient_plan(context, patient) -> dict:
    """The chart's plan of care: the current plan with each goal's progress, or how to start
    one. Shown only to clinical staff (the chart includes it only for them)."""
    plan = selectors.current_plan(user=context["user"], patient=patient)
    return {
        "patient": patient,
        "plan": plan,
        "progress": selectors.goal_progress(plan=plan) if plan else [],
        "counts": selectors.plan_session_counts(plan=plan) if plan else None,
    }


@register.inclusion_tag("plans/_reassessments_due.html", takes_context=True)
def reassessments_due(context) -> dict:
    return {"plans": selectors.reassessments_due(user=context["user"])}
