"""/intakes/: the queue of submitted intakes, one intake's review (link it to a patient, read
the answers, clear its red flags)."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from clinic.audit import audit_record
from clinic.models import AuditEvent
from clinic.permissions import access_for
from clinic.shortcuts import or_404
from clinic.types import StaffRequest

from .. import selectors, services
from ..forms import IntakeLinkForm, RedFlagClearForm, review_sections
from ..models import IntakeSubmission

REVIEWED_SHOWN_FOR = dt.timedelta(days=30)
QUEUE_PAGE_SIZE = 50


@login_required
def intake_queue(request: StaffRequest):
    access = access_for(request.user)
    if not access.clinic_ids:
        raise PermissionDenied
    rows = selectors.intake_queue(
        user=request.user, reviewed_since=timezone.now() - REVIEWED_SHOWN_FOR
    )
    page = Paginator(rows, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    audit_record(action=AuditEvent.Action.LIST, actor=request.user)
    return render(
        request,
        "patients/intake_queue.html",
        {
            "page": page,
            "rows": page.object_list,
            "reads_clinical": bool(access.clinical_clinic_ids),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def intake_review(request: StaffRequest, intake_id: int):
    """Front desk sees who filled it and links it; clinical staff also read the answers."""
    summary = or_404(selectors.intake_summary_get, user=request.user, intake_id=intake_id)
    try:
        intake = selectors.intake_get(user=request.user, intake_id=intake_id)
    except IntakeSubmission.DoesNotExist:
        intake = None  # front desk: the summary without the answers
    audit_record(
        action=AuditEvent.Action.READ,
        actor=request.user,
        obj=intake,
        patient_id=summary["patient_id"],
        clinic_id=summary["clinic_id"],
    )
    candidates = selectors.intake_patient_candidates(summary=summary)
    link_form = IntakeLinkForm(request.POST or None, candidates=candidates)
    if request.method == "POST" and link_form.is_valid():
        try:
            # The service reads the row itself: front desk links an intake without its
            # answers ever being loaded into their request.
            patient = services.intake_link(
                intake_id=intake_id,
                user=request.user,
                patient=link_form.chosen_patient(),
            )
        except ValidationError as exc:
            link_form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Intake linked to %(name)s.") % {"name": patient.full_name})
            return redirect("intake_review", intake_id=intake_id)
    context = {
        "summary": summary,
        "intake": intake,
        "link_form": link_form if summary["status"] == "submitted" else None,
        "red_flags": intake.red_flags_explained() if intake else [],
        "sections": review_sections(intake.answers) if intake else None,
        "clear_form": RedFlagClearForm(),
    }
    return render(request, "patients/intake_review.html", context)


@login_required
@require_http_methods(["POST"])
def intake_red_flags_clear(request: StaffRequest, intake_id: int):
    intake = or_404(selectors.intake_get, user=request.user, intake_id=intake_id)
    form = RedFlagClearForm(request.POST)
    if form.is_valid():
        try:
            services.intake_red_flags_clear(
                intake_id=intake.pk, user=request.user, note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Red flags cleared."))
            return redirect("intake_review", intake_id=intake_id)
    summary = or_404(selectors.intake_summary_get, user=request.user, intake_id=intake_id)
    context = {
        "summary": summary,
        "intake": intake,
        "link_form": None,
        "red_flags": intake.red_flags_explained(),
        "sections": review_sections(intake.answers),
        "clear_form": form,
    }
    return render(request, "patients/intake_review.html", context, status=400)
