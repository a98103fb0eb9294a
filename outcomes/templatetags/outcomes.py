"""Outcomes' part of the patient chart (served by sessions, which cannot import outcomes): the
chart's template loads this tag, as it does scheduling's follow-ups."""

from django import template

from ..selectors import chart_series

register = template.Library()


@register.inclusion_tag("outcomes/_patient_instruments.html")
def patient_instruments(patient) -> dict:
    """Each instrument version over time with its MCID band (clinical roles only: the chart
    shows this tag only where it shows the rest of the clinical record)."""
    series = chart_series(patient=patient)
    return {"patient": patient, "series": series, "chart": {"series": series}}
