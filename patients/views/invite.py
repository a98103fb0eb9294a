"""/intakes/invite/: staff send an intake link to a new or a registered patient;
/patients/<id>/intake-link/: a registered patient's link to copy."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from clinic.feedback import service_error_messages
from clinic.models import Clinic
from clinic.selectors import clinic_resolve, clinics_of
from clinic.shortcuts import or_404
from clinic.types import StaffRequest

from .. import selectors, services
from ..forms import InvitationForm


@login_required
@require_http_methods(["GET", "POST"])
def intake_invite(request: StaffRequest):
    """Front desk (or any staff) sends an intake link to a new or an existing patient."""
    patient = None
    if request.GET.get("patient"):
        try:
            patient = or_404(
                selectors.patient_get, user=request.user, patient_id=int(request.GET["patient"])
            )
        except ValueError:
            raise Http404 from None
    clinics = clinics_of(user=request.user)
    if not clinics:
        raise PermissionDenied
    try:
        clinic = (
            patient.clinic
            if patient
            else clinic_resolve(user=request.user, slug=request.GET.get("clinic"))
        )
    except Clinic.DoesNotExist:
        raise Http404 from None
    initial = {"email": patient.email, "language": patient.preferred_language} if patient else {}
    form = InvitationForm(
        request.POST or None,
        initial=initial | {"clinic": clinic},
        clinics=None if patient else clinics,
    )
    if request.method == "POST" and form.is_valid():
        clinic = form.cleaned_data.get("clinic", clinic)
        try:
            services.intake_invite(
                clinic=clinic,
                created_by=request.user,
                patient=patient,
                email=form.cleaned_data["email"],
                language=form.cleaned_data["language"],
                build_link=lambda raw: request.build_absolute_uri(reverse("intake", args=[raw])),
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request,
                _("Intake link sent to %(email)s.") % {"email": form.cleaned_data["email"]},
            )
            return redirect("intake_queue")
    return render(
        request,
        "patients/intake_invite.html",
        {
            "form": form,
            "patient": patient,
            "clinic": clinic,
            "valid_days": settings.INTAKE_LINK_VALID_DAYS,
        },
    )


@login_required
@require_POST
def patient_intake_link(request: StaffRequest, pk: int):
    """A fresh intake link for a registered patient, shown once to be copied and passed on
    (by message, in person): only its hash is stored, so it cannot be shown again."""
    patient = or_404(selectors.patient_get, user=request.user, patient_id=pk)
    try:
        invitation = services.intake_invite(
            clinic=patient.clinic,
            created_by=request.user,
            patient=patient,
            email=patient.email,
            language=patient.preferred_language,
            deliver=False,
            build_link=lambda raw: request.build_absolute_uri(reverse("intake", args=[raw])),
        )
    except (ValidationError, PermissionDenied) as exc:
        service_error_messages(request, exc)
        return redirect("patient_chart", patient.pk)
    response = render(
        request,
        "patients/intake_link.html",
        {
            "patient": patient,
            "link": invitation.link,
            "valid_days": settings.INTAKE_LINK_VALID_DAYS,
        },
    )
    response["Cache-Control"] = "no-store"  # the raw link must not outlive this page
    return response
