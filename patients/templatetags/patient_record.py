"""The patient's own record on the chart (served by sessions): contact and emergency details,
the front desk's actions (edit, intake links) and, for managers, the record's changes."""

from django import template

from clinic.permissions import access_for

from ..selectors import patient_changes

register = template.Library()


@register.inclusion_tag("patients/_patient_record.html", takes_context=True)
def patient_record(context, patient):
    user = context["request"].user
    access = access_for(user)
    manages = patient.clinic_id in access.managed_clinic_ids
    return {
        "patient": patient,
        "registers": patient.clinic_id in access.registering_clinic_ids,
        "manages": manages,
        "changes": patient_changes(user=user, patient=patient) if manages else [],
        "csrf_token": context.get("csrf_token"),
    }
