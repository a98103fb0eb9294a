"""/follow-ups/: front desk's list of one clinic's follow-ups with their reminders' state."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from clinic.audit import audit_record
from clinic.models import AuditEvent, Clinic
from clinic.permissions import access_for
from clinic.selectors import clinic_resolve, clinics_of
from clinic.types import StaffRequest

from .. import selectors
from ..forms import FollowUpFilterForm


def clinic_or_404(request: StaffRequest, *, managed: bool = False) -> Clinic:
    """The clinic the page shows (clinic.selectors.clinic_resolve); 404 for a `?clinic=` slug
    outside the user's clinics, or when they have none."""
    try:
        return clinic_resolve(user=request.user, slug=request.GET.get("clinic"), managed=managed)
    except Clinic.DoesNotExist:
        raise Http404 from None


@login_required
def follow_up_list(request: StaffRequest):
    clinic = clinic_or_404(request)
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
    audit_record(action=AuditEvent.Action.LIST, actor=request.user)
    query = request.GET.copy()
    query.pop("page", None)
    with timezone.override(clinic.zone):
        return render(
            request,
            "scheduling/follow_up_list.html",
            {
                "clinic": clinic,
                "filters": filters,
                "page": page,
                "query": query.urlencode(),
                "clinics": clinics_of(user=request.user),
                "sets_policy": clinic.pk in access_for(request.user).managed_clinic_ids,
            },
        )
