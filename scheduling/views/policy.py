"""/follow-ups/policy/: a manager sets the clinic's reminder policy."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from clinic.permissions import access_for
from clinic.selectors import clinics_of
from clinic.types import StaffRequest

from ..forms import ReminderPolicyForm
from ..reminders import policy_for, reminder_policy_update
from .desk import clinic_or_404


@login_required
@require_http_methods(["GET", "POST"])
def reminder_policy(request: StaffRequest):
    if not access_for(request.user).managed_clinic_ids:
        raise PermissionDenied
    clinic = clinic_or_404(request, managed=True)
    policy = policy_for(clinic)
    form = ReminderPolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        try:
            reminder_policy_update(clinic=clinic, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Reminder policy saved."))
            return redirect(f"{reverse('reminder_policy')}?{urlencode({'clinic': clinic.slug})}")
    clinics = clinics_of(user=request.user, managed=True)
    return render(
        request,
        "scheduling/reminder_policy.html",
        {"form": form, "clinic": clinic, "clinics": clinics},
    )
