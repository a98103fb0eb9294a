"""/patients/<id>/: the patient chart (served here because it shows sessions, which patients
must not import; scheduling adds the follow-ups and the erasure request is its view)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from clinic.audit import audit_read
from clinic.permissions import access_for
from clinic.shortcuts import or_404
from clinic.types import StaffRequest
from patients.models import Patient
from patients.selectors import (
    latest_intake,
    patient_get,
    patient_merged_survivor,
    red_flags_listed,
)

from .. import selectors, trends


@login_required
@require_GET
def patient_chart(request: StaffRequest, pk: int):
    """The chart: demographics and scheduling for every staff role; clinical history, charts
    and red flags only for clinical roles. A restricted record opens only for its clinic's
    managers, and shows them the erasure request alone."""
    try:
        patient = patient_get(user=request.user, patient_id=pk, restricted=True)
    except Patient.DoesNotExist:
        # A merged duplicate's old link opens the record it was merged into.
        survivor = or_404(patient_merged_survivor, user=request.user, patient_id=pk)
        return redirect("patient_chart", survivor.pk)
    clinical = access_for(request.user).may_read_clinical(patient.clinic_id)
    clinical = clinical and not patient.is_restricted
    audit_read(user=request.user, obj=patient)
    context = {
        "patient": patient,
        "clinical": clinical,
        "manages": patient.clinic_id in access_for(request.user).managed_clinic_ids,
    }
    if clinical:
        context |= {
            "red_flags": red_flags_listed(user=request.user, patient=patient),
            "intake": latest_intake(patient=patient),
            "sessions": selectors.timeline_page(patient=patient, page=request.GET.get("page")),
            "trigger_points": selectors.trigger_point_history(patient=patient),
            "chart_data": selectors.patient_chart_data(patient=patient),
            "tp_trends": trends.chart_insights(patient=patient),
        }
    return render(request, "treatments/patient_chart.html", context)
