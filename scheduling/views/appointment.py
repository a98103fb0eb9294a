"""/appointments/new/ (find the patient, then the booking form, from a free slot of the book),
/appointments/<id>/ with its status buttons, the move form (the path that needs no dragging),
and starting the session from the appointment."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from clinic.audit import audit_read
from clinic.feedback import service_error_messages
from clinic.shortcuts import or_404
from clinic.types import StaffRequest
from patients.selectors import patient_get

from .. import selectors
from ..appointments import (
    appointment_book,
    appointment_move,
    appointment_set_status,
    appointment_start_session,
)
from ..forms import AppointmentCancelForm, AppointmentForm, AppointmentMoveForm, form_refused
from ..models import Appointment

# What the booking form takes over from the slot chosen on the book (and the booking request
# it places), carried through the patient search.
SLOT_PARAMETERS = ("therapist", "starts_at", "follow_up")


def _slot(request: StaffRequest) -> dict:
    return {name: request.GET[name] for name in SLOT_PARAMETERS if request.GET.get(name)}


@login_required
@require_http_methods(["GET", "POST"])
def appointment_new(request: StaffRequest):
    patient_id = request.GET.get("patient", "")
    if not patient_id.isdigit():
        search = request.GET.get("q", "").strip()
        found = selectors.patients_matching(user=request.user, text=search) if search else []
        return render(
            request,
            "scheduling/appointment_patient_search.html",
            {"q": search, "found": found, "slot": _slot(request)},
        )
    patient = or_404(patient_get, user=request.user, patient_id=int(patient_id))
    clinic = patient.clinic
    follow_up = None
    if request.GET.get("follow_up", "").isdigit():
        follow_up = or_404(
            selectors.follow_up_detail, user=request.user, pk=int(request.GET["follow_up"])
        )
    with timezone.override(clinic.zone):
        form = AppointmentForm(
            request.POST or None,
            initial=_slot(request),
            therapists=selectors.clinic_therapists(clinic=clinic),
            rooms=selectors.clinic_rooms(clinic=clinic),
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                appointment = appointment_book(
                    patient=patient,
                    therapist=data["therapist"],
                    starts_at=data["starts_at"],
                    duration_minutes=data["duration"],
                    kind=data["kind"],
                    room=data["room"],
                    note=data["note"],
                    follow_up=follow_up
                    if follow_up and follow_up.patient_id == patient.pk
                    else None,
                    actor=request.user,
                )
            except (ValidationError, PermissionDenied) as error:
                form_refused(form, error)
            else:
                messages.success(request, _("Appointment booked; its reminders are planned."))
                return redirect("appointment_detail", pk=appointment.pk)
        slot = _slot(request)
        slot.pop("starts_at", None)
        return render(
            request,
            "scheduling/appointment_form.html",
            {
                "form": form,
                "patient": patient,
                "follow_up": follow_up,
                "free_times": selectors.next_free_times(
                    clinic=clinic, therapist_id=request.GET.get("therapist", "")
                ),
                "slot": slot,
            },
            status=400 if form.errors else 200,
        )


def _appointment_or_404(request: StaffRequest, pk: int) -> Appointment:
    return or_404(selectors.appointment_detail, user=request.user, pk=pk)


def _render_detail(request: StaffRequest, appointment: Appointment, move_form=None, status=200):
    clinic = appointment.patient.clinic
    with timezone.override(clinic.zone):
        if move_form is None:
            move_form = AppointmentMoveForm(
                therapists=selectors.clinic_therapists(clinic=clinic),
                initial={"starts_at": timezone.localtime(appointment.starts_at)},
            )
        return render(
            request,
            "scheduling/appointment_detail.html",
            {
                "appointment": appointment,
                "move_form": move_form,
                "cancel_form": AppointmentCancelForm(),
                "statuses": Appointment.Status,
                "treats": request.user.pk == appointment.therapist_id,
            },
            status=status,
        )


@login_required
def appointment_detail(request: StaffRequest, pk: int):
    appointment = _appointment_or_404(request, pk)
    audit_read(user=request.user, obj=appointment)
    return _render_detail(request, appointment)


@login_required
@require_POST
def appointment_move_view(request: StaffRequest, pk: int):
    appointment = _appointment_or_404(request, pk)
    clinic = appointment.patient.clinic
    with timezone.override(clinic.zone):
        form = AppointmentMoveForm(
            request.POST, therapists=selectors.clinic_therapists(clinic=clinic)
        )
        if form.is_valid():
            data = form.cleaned_data
            try:
                appointment_move(
                    appointment=appointment,
                    starts_at=data["starts_at"],
                    duration_minutes=data["duration"],
                    therapist=data["therapist"],
                    actor=request.user,
                )
            except (ValidationError, PermissionDenied) as error:
                form_refused(form, error)
            else:
                messages.success(request, _("Appointment moved; its reminders moved with it."))
                return redirect("appointment_detail", pk=pk)
    return _render_detail(request, appointment, form, status=400)


@login_required
@require_POST
def appointment_status_view(request: StaffRequest, pk: int):
    appointment = _appointment_or_404(request, pk)
    status = request.POST.get("status", "")
    if status not in Appointment.Status.values:
        messages.error(request, _("Choose a status."))
        return redirect("appointment_detail", pk=pk)
    form = AppointmentCancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        appointment_set_status(
            appointment=appointment, status=status, actor=request.user, reason=reason
        )
    except (ValidationError, PermissionDenied) as error:
        service_error_messages(request, error)
    else:
        messages.success(
            request,
            _("The appointment is now %(status)s.")
            % {"status": Appointment.Status(status).label.lower()},
        )
    return redirect("appointment_detail", pk=pk)


@login_required
@require_POST
def appointment_session_view(request: StaffRequest, pk: int):
    appointment = _appointment_or_404(request, pk)
    try:
        # Front desk is refused by the sessions service: 403.
        session = appointment_start_session(appointment=appointment, actor=request.user)
    except ValidationError as error:
        service_error_messages(request, error)
        return redirect("appointment_detail", pk=pk)
    return redirect("session_detail", pk=session.pk)
