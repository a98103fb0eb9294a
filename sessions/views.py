"""Front-desk pages for follow-ups and reminders, the manager's reminder policy, and the
patient's confirm/cancel page. Thin: parse, call a service or selector, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from clinic.permissions import visible
from patients.models import Patient

from . import follow_up_selectors as selectors
from .follow_ups import (
    ReplyLinkUsed,
    follow_up_create,
    follow_up_move,
    follow_up_reply,
    follow_up_set_status,
    reminder_for_reply,
)
from .forms import FollowUpFilterForm, FollowUpForm, FollowUpMoveForm, ReminderPolicyForm
from .models import FollowUp, Reminder
from .reminders import policy_for, reminder_policy_update, reminder_resend


def _clinic_or_404(request):
    clinic_id = request.GET.get("clinic")
    clinic = selectors.follow_up_clinic(
        user=request.user, clinic_id=int(clinic_id) if (clinic_id or "").isdigit() else None
    )
    if clinic is None:
        raise Http404
    return clinic


def _follow_up_or_404(request, pk: int) -> FollowUp:
    try:
        return selectors.follow_up_detail(user=request.user, pk=pk)
    except FollowUp.DoesNotExist:
        raise Http404 from None


@login_required
def follow_up_list(request):
    clinic = _clinic_or_404(request)
    therapists = selectors.clinic_therapists(clinic=clinic)
    filters = FollowUpFilterForm(request.GET or None, therapists=therapists)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    therapist = chosen.get("therapist")
    follow_ups = selectors.follow_ups_for_desk(
        user=request.user,
        clinic=clinic,
        when=chosen.get("when", ""),
        therapist_id=therapist.pk if therapist else None,
        status=chosen.get("status", ""),
    )
    page = Paginator(follow_ups, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    with timezone.override(clinic.zone):
        return render(
            request,
            "treatments/follow_up_list.html",
            {
                "clinic": clinic,
                "filters": filters,
                "page": page,
                "query": query.urlencode(),
                "sets_policy": selectors.managed_clinic(user=request.user) == clinic,
            },
        )


@login_required
@require_http_methods(["GET", "POST"])
def follow_up_new(request):
    patient_id = request.GET.get("patient", "")
    if not patient_id:
        # Front desk starts here without a chart open: find the patient first.
        search = request.GET.get("q", "").strip()
        found = selectors.patients_matching(user=request.user, text=search) if search else []
        return render(
            request, "treatments/follow_up_patient_search.html", {"q": search, "found": found}
        )
    patient = get_object_or_404(
        visible(request.user, Patient).select_related("clinic"),
        pk=int(patient_id) if patient_id.isdigit() else 0,
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
                return redirect("treatments:follow_up_detail", pk=follow_up.pk)
        return render(request, "treatments/follow_up_form.html", {"form": form, "patient": patient})


@login_required
def follow_up_detail(request, pk: int):
    follow_up = _follow_up_or_404(request, pk)
    return _render_detail(request, follow_up, FollowUpMoveForm())


def _render_detail(request, follow_up: FollowUp, move_form, status=200):
    with timezone.override(follow_up.patient.clinic.zone):
        if not move_form.is_bound:
            move_form.initial = {"due_at": timezone.localtime(follow_up.due_at)}
        return render(
            request,
            "treatments/follow_up_detail.html",
            {"follow_up": follow_up, "move_form": move_form, "statuses": FollowUp.Status},
            status=status,
        )


@login_required
@require_POST
def follow_up_move_view(request, pk: int):
    follow_up = _follow_up_or_404(request, pk)
    with timezone.override(follow_up.patient.clinic.zone):
        form = FollowUpMoveForm(request.POST)
        if form.is_valid():
            try:
                follow_up_move(follow_up=follow_up, due_at=form.cleaned_data["due_at"])
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, _("Follow-up moved; its reminders moved with it."))
                return redirect("treatments:follow_up_detail", pk=pk)
    return _render_detail(request, follow_up, form, status=400)


@login_required
@require_POST
def follow_up_status_view(request, pk: int):
    follow_up = _follow_up_or_404(request, pk)
    status = request.POST.get("status", "")
    if status not in FollowUp.Status.values:
        messages.error(request, _("Choose a status."))
        return redirect("treatments:follow_up_detail", pk=pk)
    try:
        follow_up_set_status(follow_up=follow_up, status=status)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Follow-up is now %(status)s.") % {
            "status": FollowUp.Status(status).label.lower()
        })  # fmt: skip
    return redirect("treatments:follow_up_detail", pk=pk)


@login_required
@require_POST
def reminder_resend_view(request, pk: int):
    reminder = get_object_or_404(visible(request.user, Reminder), pk=pk)
    try:
        reminder_resend(reminder=reminder)
    except ValueError:
        messages.error(request, _("Only a failed reminder can be sent again."))
    else:
        messages.success(request, _("The reminder will go out within a minute."))
    return redirect("treatments:follow_up_detail", pk=reminder.follow_up_id)


@login_required
@require_http_methods(["GET", "POST"])
def reminder_policy(request):
    clinic = selectors.managed_clinic(user=request.user)
    if clinic is None:
        raise PermissionDenied
    policy = policy_for(clinic)
    form = ReminderPolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        try:
            reminder_policy_update(clinic=clinic, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Reminder policy saved."))
            return redirect("treatments:reminder_policy")
    return render(request, "treatments/reminder_policy.html", {"form": form, "clinic": clinic})


@require_http_methods(["GET", "POST"])
def follow_up_reply_view(request, token: str):
    """The patient's one-time confirm/cancel page (no account). Only a POST answers, so a link
    preview or a mail scanner opening the link changes nothing."""
    reminder = reminder_for_reply(token=token)
    if reminder is None:
        return render(request, "treatments/follow_up_reply.html", {"invalid": True}, status=404)
    follow_up = reminder.follow_up
    clinic = follow_up.patient.clinic
    answered = None
    with translation.override(follow_up.patient.preferred_language), timezone.override(clinic.zone):
        if request.method == "POST":
            answer = request.POST.get("answer")
            if answer not in ("confirm", "cancel"):
                raise Http404
            try:
                follow_up = follow_up_reply(token=token, confirm=answer == "confirm")
                answered = answer
            except ReplyLinkUsed:  # answered meanwhile (a double tap): show what stands
                reminder.refresh_from_db()
                follow_up.refresh_from_db()
        used = answered is None and (reminder.answered_at is not None or not follow_up.is_open)
        return render(
            request,
            "treatments/follow_up_reply.html",
            {"follow_up": follow_up, "clinic": clinic, "answered": answered, "used": used},
        )
