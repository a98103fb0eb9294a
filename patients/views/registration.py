"""/patients/new/ and /patients/<id>/edit/: the front desk registers a walk-in or a phone
booking and corrects a patient's details. A possible duplicate is shown with links, and the
form is written only once someone confirms it is another person."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from clinic.audit import audit_read
from clinic.models import Clinic
from clinic.permissions import access_for
from clinic.selectors import clinic_resolve, clinics_of
from clinic.shortcuts import or_404
from clinic.types import StaffRequest

from .. import selectors, services
from ..forms import PatientForm
from ..models import Patient


def _save(form: PatientForm, write) -> tuple[Patient | None, list[Patient]]:
    """Run the service `write(details, confirm)`; on a refusal, put its messages on the form.
    Answers the patient written (or None) and the possible duplicates found."""
    confirm = form.cleaned_data.get("confirm_duplicate", False)
    try:
        return write(form.details(), confirm), []
    except services.PossibleDuplicates as exc:
        return None, exc.matches
    except ValidationError as exc:
        form.service_errors(exc)
        return None, []


def _form_page(
    request: StaffRequest,
    form: PatientForm,
    *,
    patient=None,
    clinic=None,
    duplicates=(),
    clinics=(),
):
    if duplicates:
        # The same typed data again, now with the box that confirms another person.
        form = PatientForm(request.POST, instance=patient, zone=form.zone, duplicates_found=True)
        form.is_valid()
    context = {
        "form": form,
        "patient": patient,
        "clinic": clinic,
        "clinics": clinics,
        "duplicates": duplicates,
    }
    return render(request, "patients/patient_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def patient_new(request: StaffRequest):
    try:
        clinic = clinic_resolve(user=request.user, slug=request.GET.get("clinic"))
    except Clinic.DoesNotExist:
        raise Http404 from None
    if clinic.pk not in access_for(request.user).registering_clinic_ids:
        raise PermissionDenied
    form = PatientForm(
        request.POST or None,
        zone=clinic.zone,
        duplicates_found="confirm_duplicate" in request.POST,
    )
    duplicates: list[Patient] = []
    if request.method == "POST" and form.is_valid():
        patient, duplicates = _save(
            form,
            lambda details, confirm: services.patient_register(
                actor=request.user, clinic=clinic, details=details, confirm_duplicate=confirm
            ),
        )
        if patient is not None:
            messages.success(request, _("%(name)s is registered.") % {"name": patient.full_name})
            return redirect("patient_chart", patient.pk)
    return _form_page(
        request,
        form,
        clinic=clinic,
        duplicates=duplicates,
        clinics=clinics_of(user=request.user),
    )


@login_required
@require_http_methods(["GET", "POST"])
def patient_edit(request: StaffRequest, pk: int):
    patient = or_404(selectors.patient_get, user=request.user, patient_id=pk)
    if patient.clinic_id not in access_for(request.user).registering_clinic_ids:
        raise PermissionDenied
    audit_read(user=request.user, obj=patient)
    form = PatientForm(
        request.POST or None,
        instance=patient,
        zone=patient.clinic.zone,
        duplicates_found="confirm_duplicate" in request.POST,
    )
    duplicates: list[Patient] = []
    if request.method == "POST" and form.is_valid():
        saved, duplicates = _save(
            form,
            lambda details, confirm: services.patient_update(
                actor=request.user, patient=patient, changes=details, confirm_duplicate=confirm
            ),
        )
        if saved is not None:
            messages.success(request, _("The patient's details are saved."))
            return redirect("patient_chart", saved.pk)
    return _form_page(request, form, patient=patient, duplicates=duplicates)
