"""/book/hours/?therapist=: a manager sets a therapist's weekly hours and the days that differ
(leave, a changed day). The book offers free times within them; booking outside is refused."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from clinic.permissions import access_for
from clinic.selectors import clinics_of
from clinic.shortcuts import or_404
from clinic.types import StaffRequest

from .. import selectors
from ..forms import HoursExceptionForm, WorkingHoursForm, form_refused
from ..models import WorkingHours, WorkingHoursException
from ..working_hours import hours_exception_add, working_hours_add, working_hours_remove
from .desk import clinic_or_404

REMOVABLE = {"remove_hours": WorkingHours, "remove_exception": WorkingHoursException}


def _therapist(request: StaffRequest, therapists: list):
    wanted = request.GET.get("therapist", "")
    therapist = next((t for t in therapists if str(t.pk) == wanted), None)
    if therapist is None and (wanted or not therapists):
        raise Http404
    return therapist or therapists[0]


def _post(request: StaffRequest, clinic, therapist, hours_form, exception_form) -> bool:
    """Do what the form asked; True when it was done."""
    for action, model in REMOVABLE.items():
        if request.POST.get(action, "").isdigit():
            row = or_404(
                selectors.hours_row_get,
                user=request.user,
                clinic=clinic,
                model=model,
                pk=int(request.POST[action]),
            )
            working_hours_remove(row=row, actor=request.user)
            return True
    form, add = (
        (hours_form, working_hours_add)
        if "add_hours" in request.POST
        else (exception_form, hours_exception_add)
    )
    if not form.is_valid():
        return False
    try:
        add(clinic=clinic, therapist=therapist, actor=request.user, **form.cleaned_data)
    except ValidationError as error:
        form_refused(form, error)
        return False
    return True


@login_required
@require_http_methods(["GET", "POST"])
def working_hours_page(request: StaffRequest):
    if not access_for(request.user).managed_clinic_ids:
        raise PermissionDenied
    clinic = clinic_or_404(request, managed=True)
    therapists = list(selectors.clinic_therapists(clinic=clinic))
    therapist = _therapist(request, therapists)
    posted = request.POST if request.method == "POST" else None
    hours_form = WorkingHoursForm(posted if posted and "add_hours" in posted else None)
    exception_form = HoursExceptionForm(posted if posted and "add_exception" in posted else None)
    if posted is not None and _post(request, clinic, therapist, hours_form, exception_form):
        messages.success(request, _("Hours saved."))
        query = urlencode({"clinic": clinic.slug, "therapist": therapist.pk})
        return redirect(f"{reverse('working_hours')}?{query}")
    today = timezone.localdate(timezone.now(), clinic.zone)
    return render(
        request,
        "scheduling/working_hours.html",
        {
            "clinic": clinic,
            "clinics": clinics_of(user=request.user, managed=True),
            "therapist": therapist,
            "therapists": therapists,
            "hours_form": hours_form,
            "exception_form": exception_form,
            **selectors.therapist_hours(clinic=clinic, therapist=therapist, today=today),
        },
        status=400 if hours_form.errors or exception_form.errors else 200,
    )
