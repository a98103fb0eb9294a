"""Plans' parts of pages other apps serve (the home page, the patient chart): their templates
load these, so sessions shows plans of care without importing plans."""

from django import template

from .. import selectors

register = template.Library()


@register.inclusion_tag("plans/_patient_plan.html", takes_context=True)
def patient_plan(context, patient) -> dict:
    """The chart's plan of care: the current plan with each goal's progress, or how to start
    one. Shown only to clinical staff (the chart includes it only for them)."""
    return {"patient": patient, **selectors.plan_summary(user=context["user"], patient=patient)}


@register.inclusion_tag("plans/_reassessments_due.html", takes_context=True)
def reassessments_due(context) -> dict:
    return {"plans": selectors.reassessments_due(user=context["user"])}
