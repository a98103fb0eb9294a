"""/sessions/settings/: a manager sets what a note needs before signing and keeps the clinic's
SOAP templates (therapists insert them on the recording page)."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from clinic.models import Clinic
from clinic.permissions import access_for
from clinic.selectors import clinic_resolve, clinics_of
from clinic.shortcuts import or_404
from clinic.types import StaffRequest

from .. import selectors, services
from ..forms import NoteRequirementsForm, SoapTemplateForm, TriggerPointSettingsForm
from ..models import NoteRequirements, TriggerPointSettings


def _settings_url(clinic: Clinic) -> str:
    return f"{reverse('recording_settings')}?{urlencode({'clinic': clinic.slug})}"


def _managed_clinic(request: StaffRequest) -> Clinic:
    if not access_for(request.user).managed_clinic_ids:
        raise PermissionDenied
    try:
        return clinic_resolve(user=request.user, slug=request.GET.get("clinic"), managed=True)
    except Clinic.DoesNotExist:
        raise Http404 from None


def _page(
    request: StaffRequest,
    clinic: Clinic,
    *,
    requirements_form=None,
    template_form=None,
    points_form=None,
    status=200,
):
    return render(
        request,
        "treatments/recording_settings.html",
        {
            "clinic": clinic,
            "clinics": clinics_of(user=request.user, managed=True),
            "requirements_form": requirements_form
            or NoteRequirementsForm(instance=NoteRequirements.for_clinic(clinic.pk)),
            "template_form": template_form or SoapTemplateForm(),
            "points_form": points_form
            or TriggerPointSettingsForm(instance=TriggerPointSettings.for_clinic(clinic.pk)),
            "templates": selectors.soap_templates(clinic_id=clinic.pk),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def recording_settings(request: StaffRequest):
    """The page; a POST saves the requirements (`requirements`) or adds a template."""
    clinic = _managed_clinic(request)
    if request.method == "GET":
        return _page(request, clinic)
    if "requirements" in request.POST:
        form = NoteRequirementsForm(request.POST)
        if form.is_valid():
            services.note_requirements_update(
                clinic=clinic, actor=request.user, **form.cleaned_data
            )
            messages.success(request, _("What a note needs before signing is saved."))
            return redirect(_settings_url(clinic))
        return _page(request, clinic, requirements_form=form, status=400)
    if "trigger_points" in request.POST:
        points_form = TriggerPointSettingsForm(request.POST)
        if points_form.is_valid():
            services.trigger_point_settings_update(
                clinic=clinic, actor=request.user, **points_form.cleaned_data
            )
            messages.success(request, _("The trigger-point settings are saved."))
            return redirect(_settings_url(clinic))
        return _page(request, clinic, points_form=points_form, status=400)
    template_form = SoapTemplateForm(request.POST)
    if template_form.is_valid():
        try:
            services.soap_template_save(
                clinic=clinic, actor=request.user, **template_form.cleaned_data
            )
        except ValidationError as exc:
            template_form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Template added."))
            return redirect(_settings_url(clinic))
    return _page(request, clinic, template_form=template_form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def soap_template_edit(request: StaffRequest, pk: int):
    template = or_404(selectors.soap_template_get, user=request.user, template_id=pk)
    form = SoapTemplateForm(request.POST or None, instance=template)
    if request.method == "POST" and form.is_valid():
        try:
            services.soap_template_save(
                clinic=template.clinic, actor=request.user, template=template, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Template saved."))
            return redirect(_settings_url(template.clinic))
    status = 400 if form.is_bound else 200
    return render(
        request,
        "treatments/soap_template_edit.html",
        {"form": form, "template": template},
        status=status,
    )


@login_required
@require_POST
def soap_template_delete(request: StaffRequest, pk: int):
    template = or_404(selectors.soap_template_get, user=request.user, template_id=pk)
    services.soap_template_delete(template=template, actor=request.user)
    messages.success(request, _("Template removed."))
    return redirect(_settings_url(template.clinic))
