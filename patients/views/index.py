"""/patients/: search by name, phone, email or date of birth."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from clinic.audit import audit_record
from clinic.models import AuditEvent
from clinic.types import StaffRequest

from .. import selectors


@login_required
@require_GET
def patient_index(request: StaffRequest):
    search = request.GET.get("q", "").strip()[:100]
    # Managers still find restricted records here: handling the request starts on the chart.
    patients = selectors.patient_list(user=request.user, search=search, restricted=True)
    page = Paginator(patients, 50).get_page(request.GET.get("page"))
    audit_record(action=AuditEvent.Action.LIST, actor=request.user)  # never the search terms
    return render(request, "patients/patient_list.html", {"page": page, "search": search})
