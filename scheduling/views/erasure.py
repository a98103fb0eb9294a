"""/patients/<id>/erasure: a manager records a patient's erasure request from the chart."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.shortcuts import or_404
from clinic.types import StaffRequest
from patients.selectors import patient_get

from ..erasure import patient_erasure_request


@login_required
@require_POST
def patient_erasure(request: StaffRequest, pk: int):
    """A manager records the patient's erasure request (restrict now, delete after retention)."""
    patient = or_404(patient_get, user=request.user, patient_id=pk, restricted=True)
    try:
        patient = patient_erasure_request(patient=patient, user=request.user)
    except PermissionDenied:
        raise Http404 from None
    messages.success(
        request,
        _("Erasure request recorded: the record is restricted and will be deleted after %(day)s.")
        # The request just recorded set erase_after.
        % {"day": date_format(patient.erase_after)},  # type: ignore[arg-type]
    )
    return redirect("patient_chart", pk=patient.pk)
