"""The patient's intake form (no login: the link's token is the key) and the staff pages that
send intake links and review what comes back."""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from clinic.audit import audit_record
from clinic.links import LinkUnavailable, link_language, link_lookup, link_unavailable
from clinic.models import AuditEvent, Clinic
from clinic.permissions import access_for
from clinic.selectors import clinic_resolve, clinics_of
from clinic.shortcuts import or_404
from clinic.transactions import DatabaseBusy

from . import selectors, services
from .forms import (
    STEPS,
    IntakeLinkForm,
    InvitationForm,
    RedFlagClearForm,
    answers_from,
    review_sections,
    step_form,
)
from .models import IntakeSubmission, red_flag_rows

REVIEWED_SHOWN_FOR = dt.timedelta(days=30)
QUEUE_PAGE_SIZE = 50


def _step_number(request, reached: int) -> int:
    try:
        asked = int(request.POST.get("step") or request.GET.get("step") or reached)
    except ValueError:
        asked = reached
    return min(max(asked, 1), reached, len(STEPS))


@never_cache
@require_http_methods(["GET", "POST"])
def intake(request, token: str):
    invitation, refusal = link_lookup(
        request, lambda: selectors.intake_invitation_open(token=token)
    )
    if refusal:
        return refusal
    with link_language(invitation.language):
        response = _intake_step(request, token, invitation)
        response.headers["Content-Language"] = translation.get_language()
    return response


def _intake_step(request, token: str, invitation):
    submission = selectors.intake_in_progress(invitation=invitation)
    answers = submission.answers if submission else {}
    if "personal" not in answers and invitation.patient:
        # The invited patient's first name only (see _known_details).
        answers = {**answers, "personal": _known_details(invitation.patient)}
    reached = submission.current_step if submission else 1
    number = _step_number(request, reached)
    step = STEPS[number - 1]
    here = reverse("intake", args=[token])
    try:
        if step.form_class is None:
            if request.method == "POST":
                try:
                    services.intake_submit(invitation=invitation)
                except services.IntakeIncomplete as incomplete:
                    messages.error(request, _("Please complete this step before sending."))
                    return redirect(f"{here}?step={incomplete.step}")
                except DatabaseBusy as busy:
                    # The review page again, with the message; the answers are all kept.
                    messages.error(request, " ".join(busy.messages))
                else:
                    return redirect(f"{reverse('intake_thanks')}?lang={translation.get_language()}")
            form = None
        elif request.method == "POST":
            form = step_form(step, answers, data=request.POST)
            if form.is_valid():
                try:
                    services.intake_step_save(
                        invitation=invitation, step=number, answers=answers_from(form.cleaned_data)
                    )
                except DatabaseBusy as busy:
                    form.add_error(None, busy)  # the step again, as typed, with the message
                else:
                    # A change made from the review page goes back to the review page.
                    following = len(STEPS) if reached == len(STEPS) else number + 1
                    return redirect(f"{here}?step={following}")
        else:
            form = step_form(step, answers)
    except LinkUnavailable:
        return link_unavailable(request)
    context = {
        "clinic": invitation.clinic,
        "step": step,
        "number": number,
        "total": len(STEPS),
        "percent": round(100 * (number - 1) / (len(STEPS) - 1)),
        "form": form,
        "back": f"{here}?step={number - 1}" if number > 1 else None,
        "sections": review_sections(answers, here) if form is None else None,
    }
    status = 400 if form is not None and form.is_bound else 200
    return render(request, "patients/intake_step.html", context, status=status)


def _known_details(patient) -> dict:
    """What a link opens prefilled: the first name, to greet, and nothing else. A link proves
    that someone holds the message (a forwarded mail, a shared inbox, a phone left unlocked),
    not who they are, so it never hands out the surname, birth date or contacts on file: the
    patient types them, and contacts left blank keep the ones on file (services._apply_answers).
    """
    return {"first_name": patient.first_name}


@never_cache
def intake_thanks(request):
    with link_language(request.GET.get("lang", "")):
        return render(request, "patients/intake_thanks.html")


# Staff pages


@login_required
@require_http_methods(["GET", "POST"])
def intake_invite(request):
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
def intake_queue(request):
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
def intake_review(request, intake_id: int):
    """Front desk sees who filled it and links it; clinical staff also read the answers."""
    summary = or_404(selectors.intake_summary_get, user=request.user, intake_id=intake_id)
    try:
        intake = selectors.intake_get(user=request.user, intake_id=intake_id)
    except IntakeSubmission.DoesNotExist:
        intake = None  # front desk: the summary without the answers
    audit_record(
        action=AuditEvent.Action.READ, actor=request.user, obj=intake,
        patient_id=summary["patient_id"], clinic_id=summary["clinic_id"],
    )  # fmt: skip
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
        "red_flags": red_flag_rows(intake.red_flags) if intake else [],
        "sections": review_sections(intake.answers) if intake else None,
        "clear_form": RedFlagClearForm(),
    }
    return render(request, "patients/intake_review.html", context)


@login_required
@require_http_methods(["POST"])
def intake_red_flags_clear(request, intake_id: int):
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
        "red_flags": red_flag_rows(intake.red_flags),
        "sections": review_sections(intake.answers),
        "clear_form": form,
    }
    return render(request, "patients/intake_review.html", context, status=400)


@login_required
@require_GET
def patient_index(request):
    search = request.GET.get("q", "").strip()[:100]
    # Managers still find restricted records here: handling the request starts on the chart.
    patients = selectors.patient_list(user=request.user, search=search, restricted=True)
    page = Paginator(patients, 50).get_page(request.GET.get("page"))
    audit_record(action=AuditEvent.Action.LIST, actor=request.user)  # never the search terms
    return render(request, "patients/patient_list.html", {"page": page, "search": search})
