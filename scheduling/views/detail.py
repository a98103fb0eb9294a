"""/follow-ups/<id>/: one follow-up with its reminders; move it, set its status, send a failed
reminder again."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.audit import audit_read
from clinic.feedback import service_error_messages
from clinic.shortcuts import or_404
from clinic.types import StaffRequest

from .. import selectors
from ..follow_ups import follow_up_move, follow_up_set_status
from ..forms import FollowUpMoveForm
from ..models import FollowUp
from ..reminders import reminder_resend


def _follow_up_or_404(request: StaffRequest, pk: int) -> FollowUp:
    return or_404(selectors.follow_up_detail, user=request.user, pk=pk)


@login_required
def follow_up_detail(request: StaffRequest, pk: int):
    follow_up = _follow_up_or_404(request, pk)
    audit_read(user=request.user, obj=follow_up)
    return _render_detail(request, follow_up, FollowUpMoveForm())


def _render_detail(request: StaffRequest, follow_up: FollowUp, move_form, status=200):
    with timezone.override(follow_up.patient.clinic.zone):
        if not move_form.is_bound:
            move_form.initial = {"due_at": timezone.localtime(follow_up.due_at)}
        return render(
            request,
            "scheduling/follow_up_detail.html",
            {"follow_up": follow_up, "move_form": move_form, "statuses": FollowUp.Status},
            status=status,
        )


@login_required
@require_POST
def follow_up_move_view(request: StaffRequest, pk: int):
    follow_up = _follow_up_or_404(request, pk)
    with timezone.override(follow_up.patient.clinic.zone):
        form = FollowUpMoveForm(request.POST)
        if form.is_valid():
            try:
                follow_up_move(
                    follow_up=follow_up, due_at=form.cleaned_data["due_at"], actor=request.user
                )
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, _("Follow-up moved; its reminders moved with it."))
                return redirect("follow_up_detail", pk=pk)
    return _render_detail(request, follow_up, form, status=400)


@login_required
@require_POST
def follow_up_status_view(request: StaffRequest, pk: int):
    follow_up = _follow_up_or_404(request, pk)
    status = request.POST.get("status", "")
    if status not in FollowUp.Status.values:
        messages.error(request, _("Choose a status."))
        return redirect("follow_up_detail", pk=pk)
    try:
        follow_up_set_status(follow_up=follow_up, status=status, actor=request.user)
    except ValidationError as error:
        service_error_messages(request, error)
    else:
        messages.success(
            request,
            _("Follow-up is now %(status)s.") % {"status": FollowUp.Status(status).label.lower()},
        )
    return redirect("follow_up_detail", pk=pk)


@login_required
@require_POST
def reminder_resend_view(request: StaffRequest, pk: int):
    reminder = or_404(selectors.reminder_get, user=request.user, pk=pk)
    try:
        reminder_resend(reminder=reminder, actor=request.user)
    except ValueError:
        messages.error(request, _("Only a failed reminder can be sent again."))
    else:
        messages.success(request, _("The reminder will go out within a minute."))
    if reminder.appointment_id:
        return redirect("appointment_detail", pk=reminder.appointment_id)
    return redirect("follow_up_detail", pk=reminder.follow_up_id)
