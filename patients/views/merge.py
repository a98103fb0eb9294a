"""/patients/<id>/merge/: a manager merges a duplicate record into this one (the record whose
page it is stays). The page lists the likely duplicates; the chosen one is shown beside this
record before the merge is confirmed."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from clinic.audit import audit_read
from clinic.feedback import service_error_messages
from clinic.permissions import access_for
from clinic.shortcuts import or_404
from clinic.types import StaffRequest

from .. import selectors, services


class MergeForm(forms.Form):
    duplicate = forms.IntegerField(
        label=gettext_lazy("Record number of the duplicate"), min_value=1
    )


@login_required
@require_http_methods(["GET", "POST"])
def patient_merge(request: StaffRequest, pk: int):
    survivor = or_404(selectors.patient_get, user=request.user, patient_id=pk)
    if survivor.clinic_id not in access_for(request.user).managed_clinic_ids:
        raise PermissionDenied
    audit_read(user=request.user, obj=survivor)
    form = MergeForm(request.POST or request.GET or None)
    duplicate = None
    if form.is_bound and form.is_valid():
        duplicate = or_404(
            selectors.patient_get, user=request.user, patient_id=form.cleaned_data["duplicate"]
        )
        audit_read(user=request.user, obj=duplicate)
        if request.method == "POST":
            try:
                services.patient_merge(actor=request.user, survivor=survivor, merged=duplicate)
            except (ValidationError, PermissionDenied) as exc:
                service_error_messages(request, exc)
            else:
                messages.success(
                    request,
                    _("%(name)s's duplicate record is merged into this one.")
                    % {"name": survivor.full_name},
                )
                return redirect("patient_chart", survivor.pk)
    context = {
        "patient": survivor,
        "form": form,
        "duplicate": duplicate,
        "candidates": selectors.patient_duplicates_of(patient=survivor),
    }
    return render(request, "patients/patient_merge.html", context)
