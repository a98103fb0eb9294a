"""Outcome measures in session (/sessions/<id>/outcomes/): the therapist re-rates PSFS with the
patient and fills an index on the tablet, or sends the patient a link to fill it at home."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from clinic.audit import audit_read
from clinic.feedback import service_error_messages
from clinic.shortcuts import or_404
from clinic.transactions import DatabaseBusy
from clinic.types import StaffRequest
from sessions.selectors import session_get

from ..forms import InstrumentForm, PsfsForm
from ..models import Occasion
from ..selectors import instruments_for_clinic, patient_responses, psfs_activities
from ..services import psfs_rerate, questionnaire_schedule, response_record

REFUSALS = (ValidationError, PermissionDenied, DatabaseBusy)


@login_required
@require_http_methods(["GET", "POST"])
def session_outcomes(request: StaffRequest, pk: int):
    session = or_404(session_get, user=request.user, session_id=pk)
    audit_read(user=request.user, obj=session)
    patient = session.patient
    instruments = instruments_for_clinic(clinic_id=patient.clinic_id).exclude(
        definition__has_key="activities"
    )
    chosen = None
    if request.GET.get("instrument", "").isdigit():
        chosen = instruments.filter(pk=int(request.GET["instrument"])).first()
        if chosen is None:
            raise Http404
    data = request.POST if request.method == "POST" else None
    action = request.POST.get("action", "")
    psfs_form = PsfsForm(
        data if action == "psfs" else None, activities=psfs_activities(patient=patient)
    )
    index_form = (
        InstrumentForm(data if action == "index" else None, instrument=chosen) if chosen else None
    )
    if action == "psfs" and psfs_form.is_valid():
        try:
            psfs_rerate(
                actor=request.user, patient=patient, ratings=psfs_form.ratings(), session=session
            )
        except REFUSALS as exc:
            service_error_messages(request, exc)
        else:
            messages.success(request, _("PSFS re-rating saved."))
            return redirect("session_outcomes", pk=session.pk)
    if action == "index" and index_form is not None and index_form.is_valid():
        try:
            response = response_record(
                actor=request.user,
                patient=patient,
                instrument=index_form.instrument,
                answers=index_form.answers(),
                occasion=request.POST.get("occasion", Occasion.SESSION),
                session=session,
                language=patient.preferred_language or settings.LANGUAGE_CODE,
            )
        except REFUSALS as exc:
            service_error_messages(request, exc)
        else:
            if response.total is None:
                messages.warning(request, _("Saved, but too few items were answered to score it."))
            else:
                messages.success(
                    request,
                    _("%(name)s saved: %(total)s.") % {"name": chosen, "total": response.total},
                )
            return redirect("session_outcomes", pk=session.pk)
    context = {
        "session": session,
        "patient": patient,
        "psfs_form": psfs_form,
        "index_form": index_form,
        "instruments": instruments,
        # PSFS too: the patient re-rates their activities at home.
        "all_instruments": instruments_for_clinic(clinic_id=patient.clinic_id),
        "chosen": chosen,
        "occasions": Occasion.choices,
        "responses": patient_responses(user=request.user, patient=patient)[:10],
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "outcomes/session_outcomes.html", context, status=status)


@login_required
@require_http_methods(["POST"])
def questionnaire_send(request: StaffRequest, pk: int):
    """Ask the patient to fill an instrument at home (at re-assessment, discharge, or any
    time): its reminder goes out on the patient's consented channels, and the link is shown
    once for the therapist to pass on as well (only its hash is stored)."""
    session = or_404(session_get, user=request.user, session_id=pk)
    instrument_id = request.POST.get("instrument", "")
    if not instrument_id:
        messages.error(request, _("Choose a questionnaire to send."))
        return redirect("session_outcomes", pk=session.pk)
    instrument = (
        instruments_for_clinic(clinic_id=session.patient.clinic_id)
        .filter(pk=int(instrument_id) if instrument_id.isdigit() else 0)
        .first()
    )
    if instrument is None:
        raise Http404
    occasion = request.POST.get("occasion", Occasion.INTERVAL)
    if occasion not in Occasion.values:
        occasion = Occasion.INTERVAL
    try:
        _request, raw = questionnaire_schedule(
            patient=session.patient, instrument=instrument, occasion=occasion, actor=request.user
        )
    except REFUSALS as exc:
        service_error_messages(request, exc)
    else:
        link = request.build_absolute_uri(f"/questionnaire/{raw}/")
        messages.success(
            request,
            _(
                "%(name)s sent to the patient by their reminder channels; the same link, to "
                "pass on by hand (valid 7 days): %(link)s"
            )
            % {"name": instrument, "link": link},
        )
    return redirect("session_outcomes", pk=session.pk)
