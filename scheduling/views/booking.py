"""Booking a follow-up: front desk's /follow-ups/new/ (find the patient, then the form) and the
form under a session (/sessions/<id>/follow-up), which plans its reminders with it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from clinic.feedback import service_error_messages
from clinic.shortcuts import or_404
from clinic.transactions import DatabaseBusy
from clinic.types import StaffRequest
from patients.selectors import patient_get
from sessions import selectors as session_selectors
from sessions.views.recording import session_page_with

from .. import selectors
from ..follow_ups import follow_up_create
from ..forms import FollowUpForm, session_follow_up_form


@login_required
@require_http_methods(["GET", "POST"])
def follow_up_new(request: StaffRequest):
    patient_id = request.GET.get("patient", "")
    if not patient_id:
        # Front desk starts here without a chart open: find the patient first.
        search = request.GET.get("q", "").strip()
        found = selectors.patients_matching(user=request.user, text=search) if search else []
        return render(
            request, "scheduling/follow_up_patient_search.html", {"q": search, "found": found}
        )
    patient = or_404(
        patient_get, user=request.user, patient_id=int(patient_id) if patient_id.isdigit() else 0
    )
    clinic = patient.clinic
    therapists = selectors.clinic_therapists(clinic=clinic)
    with timezone.override(clinic.zone):
        form = FollowUpForm(request.POST or None, therapists=therapists)
        if request.method == "POST" and form.is_valid():
            try:
                follow_up = follow_up_create(
                    patient=patient, created_by=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Follow-up booked; its reminders are planned."))
                return redirect("follow_up_detail", pk=follow_up.pk)
        return render(request, "scheduling/follow_up_form.html", {"form": form, "patient": patient})


@login_required
@require_POST
def follow_up_plan(request: StaffRequest, pk: int):
    session = or_404(session_selectors.session_get, user=request.user, session_id=pk)
    with timezone.override(session.patient.clinic.zone):
        form = session_follow_up_form(session, data=request.POST)
        valid = form.is_valid()
    if valid:
        try:
            follow_up_create(
                patient=session.patient,
                session=session,
                created_by=request.user,
                **form.cleaned_data,
            )
        except DatabaseBusy as busy:
            form.add_error(None, busy)  # the page again, the booking as typed
            return session_page_with(request, session, follow_up_form=form)
        except ValidationError as exc:
            service_error_messages(request, exc)
        else:
            messages.success(request, _("Follow-up planned; its reminders are planned too."))
    else:
        for field, errors in form.errors.items():
            for error in errors:
                messages.error(
                    request, f"{form[field].label if field in form.fields else ''}: {error}"
                )
    return redirect(f"{reverse('session_detail', args=[session.pk])}#follow-up")
