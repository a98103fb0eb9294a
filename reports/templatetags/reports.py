"""Reports' parts of pages other apps serve: the chart links to the progress report without
sessions naming a reports URL."""

from django import template
from django.urls import reverse

register = template.Library()


@register.simple_tag
def progress_report_url(patient) -> str:
    return reverse("reports:patient-progress", args=[patient.pk])
