"""/patients/import/: upload a CSV, read the dry-run report, confirm."""

from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from clinic.models import Clinic
from clinic.selectors import clinic_resolve
from clinic.transactions import DatabaseBusy
from clinic.types import StaffRequest

from ..imports import PATIENT_COLUMNS, decode_upload, importing_clinics, patients_import

# The confirm step posts the checked text back, so it must fit Django's request-body limit;
# larger files go through `manage.py import_patients`.
MAX_UPLOAD_BYTES = 1024 * 1024
PREVIEW_ROWS = 20


class UploadForm(forms.Form):
    clinic = forms.ModelChoiceField(queryset=Clinic.objects.none(), label=gettext_lazy("Clinic"))
    file = forms.FileField(label=gettext_lazy("CSV file"))

    def __init__(self, *args, clinics, chosen: Clinic | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["clinic"]).queryset = clinics
        self.fields["clinic"].initial = chosen
        if len(clinics) == 1:
            self.fields["clinic"].widget = forms.HiddenInput()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is over 1 MB: ask an administrator to run the import command.")
            )
        return decode_upload(upload.read())


class ConfirmForm(forms.Form):
    clinic = forms.ModelChoiceField(queryset=Clinic.objects.none(), widget=forms.HiddenInput)
    text = forms.CharField(widget=forms.HiddenInput, strip=False)

    def __init__(self, *args, clinics, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["clinic"]).queryset = clinics


def _chosen_clinic(request: StaffRequest, clinics) -> Clinic:
    """The clinic the upload form starts on: the request's (clinic.selectors.clinic_resolve),
    else the first the user may import into (the same order)."""
    try:
        clinic = clinic_resolve(user=request.user, slug=request.GET.get("clinic"))
    except Clinic.DoesNotExist:
        raise Http404 from None
    return clinic if clinic in clinics else clinics[0]


@login_required
@require_http_methods(["GET", "POST"])
def patient_import(request: StaffRequest):
    clinics = importing_clinics(user=request.user)
    if not clinics.exists():
        raise PermissionDenied
    chosen = _chosen_clinic(request, clinics)
    context = {"columns": PATIENT_COLUMNS, "preview_rows": PREVIEW_ROWS}
    if request.method == "POST" and "confirm" in request.POST:
        confirm = ConfirmForm(request.POST, clinics=clinics)
        if confirm.is_valid():
            try:
                report = patients_import(
                    clinic=confirm.cleaned_data["clinic"],
                    text=confirm.cleaned_data["text"],
                    dry_run=False,
                    actor=request.user,
                )
            except DatabaseBusy as busy:
                # Nothing was imported: the same checked file, ready to confirm again.
                messages.error(request, " ".join(busy.messages))
                report = patients_import(
                    clinic=confirm.cleaned_data["clinic"],
                    text=confirm.cleaned_data["text"],
                    dry_run=True,
                    actor=request.user,
                )
                context["confirm"] = confirm
            if report.ok and not report.dry_run:
                messages.success(
                    request,
                    _("Imported %(new)d patients; %(existing)d were already registered.")
                    % {"new": report.created, "existing": report.count("existing")},
                )
                return redirect("patient_list")
            context["report"] = report
        form = UploadForm(clinics=clinics, chosen=chosen)
    elif request.method == "POST":
        form = UploadForm(request.POST, request.FILES, clinics=clinics)
        if form.is_valid():
            clinic, text = form.cleaned_data["clinic"], form.cleaned_data["file"]
            report = patients_import(clinic=clinic, text=text, dry_run=True, actor=request.user)
            context["report"] = report
            if report.ok and report.count("new"):
                context["confirm"] = ConfirmForm(
                    initial={"clinic": clinic, "text": text}, clinics=clinics
                )
    else:
        form = UploadForm(clinics=clinics, chosen=chosen)
    context["form"] = form
    return render(request, "patients/patient_import.html", context)
