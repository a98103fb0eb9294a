"""/: today's sessions, drafts waiting for a signature, recent sessions, patients needing
attention; scheduling adds today's follow-ups (its template tag)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from clinic.audit import audit_record
from clinic.models import AuditEvent
from clinic.permissions import access_for
from clinic.selectors import active_memberships
from clinic.types import StaffRequest
from patients.selectors import attention_list

from .. import selectors

# A busy clinic's day has a few hundred sessions: the home page shows the first fifty and says
# there are more (rendering every row was most of its time).
HOME_TODAY_ROWS = 50


@login_required
@require_GET
def home(request: StaffRequest):
    """The busiest page: a fixed number of queries whatever the clinic's size (each list is
    bounded and served by an index that matches it; tests/treatments/test_home_page.py)."""
    access = access_for(request.user)
    start, end = selectors.today_bounds()
    context = {
        "has_clinic": bool(access.clinic_ids),
        "memberships": active_memberships(user=request.user),
    }
    if access.clinical_clinic_ids:
        context |= selectors.home_sessions(
            user=request.user, start=start, end=end, rows=HOME_TODAY_ROWS
        )
    context["attention"] = attention_list(user=request.user)
    audit_record(action=AuditEvent.Action.LIST, actor=request.user)
    return render(request, "treatments/home.html", context)
