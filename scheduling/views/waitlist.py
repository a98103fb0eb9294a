"""The waitlist: front desk's /waitlist/ (who waits for an earlier slot, with their open offers),
/waitlist/new/ (find the patient, then the request) and withdrawing an entry; the patient's
/waitlist/join/<token>/ (from an appointment reminder's link: ask for an earlier slot) and
/waitlist/offer/<token>/ (take or leave a freed slot), both opened on a phone."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from clinic.audit import audit_record
from clinic.feedback import service_error_messages
from clinic.links import link_lookup, link_unavailable
from clinic.models import AuditEvent
from clinic.selectors import clinics_of
from clinic.shortcuts import or_404
from patients.selectors import patient_get

from .. import selectors
from ..forms import WaitlistEntryForm, WaitlistJoinForm, form_refused
from ..offers import offer_for_link, waitlist_offer_accept, waitlist_offer_decline
from ..replies import PATIENT_LINK, reminder_for_reply
from ..waitlist import waitlist_entry_create, waitlist_entry_withdraw
from .desk import clinic_or_404


@login_required
def waitlist_list(request):
    clinic = clinic_or_404(request)
    entries = selectors.waitlist_for_desk(user=request.user, clinic=clinic)
    audit_record(action=AuditEvent.Action.LIST, actor=request.user)
    with timezone.override(clinic.zone):
        return render(
            request,
            "scheduling/waitlist_list.html",
            {"clinic": clinic, "entries": entries, "clinics": clinics_of(user=request.user)},
        )


@login_required
@require_http_methods(["GET", "POST"])
def waitlist_new(request):
    patient_id = request.GET.get("patient", "")
    if not patient_id:
        search = request.GET.get("q", "").strip()
        found = selectors.patients_matching(user=request.user, text=search) if search else []
        return render(request, "scheduling/waitlist_search.html", {"q": search, "found": found})
    patient = or_404(
        patient_get, user=request.user, patient_id=int(patient_id) if patient_id.isdigit() else 0
    )
    clinic = patient.clinic
    with timezone.override(clinic.zone):
        form = WaitlistEntryForm(
            request.POST or None,
            therapists=selectors.clinic_therapists(clinic=clinic),
            appointments=selectors.appointments_to_bring_forward(patient=patient),
        )
        if request.method == "POST" and form.is_valid():
            try:
                waitlist_entry_create(patient=patient, actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                form_refused(form, error)
            else:
                messages.success(request, _("%(name)s is on the waitlist.") % {"name": patient})
                return redirect(f"{reverse('waitlist_list')}?clinic={clinic.slug}")
        return render(request, "scheduling/waitlist_form.html", {"form": form, "patient": patient})


@login_required
@require_POST
def waitlist_withdraw(request, pk: int):
    entry = or_404(selectors.waitlist_entry_get, user=request.user, entry_id=pk)
    try:
        waitlist_entry_withdraw(entry=entry, actor=request.user)
    except ValidationError as error:
        service_error_messages(request, error)
    else:
        messages.success(request, _("Taken off the waitlist."))
    return redirect("waitlist_list")


@never_cache
@require_http_methods(["GET", "POST"])
def waitlist_offer(request, token: str):
    """The patient's one-time page for an earlier slot (no account): take it or leave it. Only
    a POST answers, so a link preview opening the link changes nothing; expiry is checked here
    as well as by beat, so an offer past its time is never taken."""
    offer, refusal = link_lookup(request, lambda: offer_for_link(token=token))
    if refusal:
        return refusal
    clinic = offer.slot.clinic
    patient = offer.entry.patient
    with translation.override(patient.preferred_language), timezone.override(clinic.zone):
        if request.method == "POST":
            answer = request.POST.get("answer")
            if answer not in ("accept", "decline"):
                raise Http404
            answer_offer = waitlist_offer_accept if answer == "accept" else waitlist_offer_decline
            offer = answer_offer(offer=offer)
        response = render(
            request,
            "scheduling/waitlist_offer.html",
            {"offer": offer, "slot": offer.slot, "clinic": clinic, "patient": patient},
        )
        response["Content-Language"] = translation.get_language()
        return response


@never_cache
@require_http_methods(["GET", "POST"])
def waitlist_join(request, token: str):
    """The patient asks for an earlier slot than the appointment their reminder announced: days
    and times of day that suit them, and whether another therapist will do."""
    reminder, refusal = link_lookup(request, lambda: reminder_for_reply(token=token))
    if refusal:
        return refusal
    appointment = reminder.appointment
    if appointment is None or not appointment.is_open:
        return link_unavailable(request)
    patient = reminder.patient
    clinic = patient.clinic
    with translation.override(patient.preferred_language), timezone.override(clinic.zone):
        form = WaitlistJoinForm(request.POST or None)
        waiting = selectors.waiting_entry(patient=patient)
        if request.method == "POST" and waiting is None and form.is_valid():
            try:
                waiting = waitlist_entry_create(
                    patient=patient,
                    actor_label=PATIENT_LINK,
                    until=timezone.localdate(appointment.starts_at, clinic.zone),
                    weekdays=form.cleaned_data["weekdays"],
                    parts_of_day=form.cleaned_data["parts_of_day"],
                    therapist=None if form.cleaned_data["any_therapist"] else appointment.therapist,
                    duration_minutes=appointment.duration_minutes,
                    kind=appointment.kind,
                    appointment=appointment,
                )
            except ValidationError as error:
                form.add_error(None, list(error.messages))
        response = render(
            request,
            "scheduling/waitlist_join.html",
            {"form": form, "appointment": appointment, "clinic": clinic, "waiting": waiting},
        )
        response["Content-Language"] = translation.get_language()
        return response
