"""/follow-ups/policy/: a manager sets the clinic's reminder policy."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .. import selectors
from ..forms import ReminderPolicyForm
from ..reminders import policy_for, reminder_policy_update


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
            reminder_policy_update(clinic=clinic, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Reminder policy saved."))
            return redirect("reminder_policy")
    return render(request, "scheduling/reminder_policy.html", {"form": form, "clinic": clinic})
