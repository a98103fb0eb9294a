"""The audit page (clinic's, below patients) shows whose record each event touched by name:
one query for the page's patients, scoped like every routine read (a restricted patient, who
asked for erasure, stays out of it as out of every list)."""

from django import template
from django.db.models import CharField, Value
from django.db.models.functions import Concat

from clinic.permissions import visible
from patients.models import Patient

register = template.Library()


@register.simple_tag(takes_context=True)
def audit_patient_names(context, events) -> dict[int, str]:
    ids = {e.patient_id for e in events if e.patient_id is not None}
    if not ids:
        return {}
    full_name = Concat("first_name", Value(" "), "last_name", output_field=CharField())
    rows = visible(context["user"], Patient).filter(pk__in=ids)
    return dict(rows.annotate(full_name=full_name).values_list("pk", "full_name"))


@register.filter
def name_of(names: dict[int, str], patient_id) -> str:
    return names.get(patient_id, "")
