"""/book/: the appointment book of one clinic, a day with a column per therapist (?date=), and
/book/week/: one therapist's week (?therapist=&date=). Free slots are links to the booking form;
appointments are links to their page, and can be dragged onto a free slot to move them."""

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from clinic.audit import audit_record
from clinic.models import AuditEvent
from clinic.permissions import access_for
from clinic.selectors import clinics_of
from clinic.types import StaffRequest

from .. import selectors
from ..book import book_day, book_week
from .desk import clinic_or_404


def _day(request: StaffRequest, zone) -> dt.date:
    try:
        return dt.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return timezone.localdate(timezone.now(), zone)


def _render(request: StaffRequest, template: str, clinic, day: dt.date, **context):
    audit_record(action=AuditEvent.Action.LIST, actor=request.user)
    with timezone.override(clinic.zone):
        return render(
            request,
            template,
            {
                "clinic": clinic,
                "clinics": clinics_of(user=request.user),
                "day": day,
                "today": timezone.localdate(timezone.now(), clinic.zone),
                **context,
            },
        )


@login_required
def book_day_view(request: StaffRequest):
    clinic = clinic_or_404(request)
    day = _day(request, clinic.zone)
    return _render(
        request,
        "scheduling/book_day.html",
        clinic,
        day,
        grid=book_day(user=request.user, clinic=clinic, day=day),
        previous_day=day - dt.timedelta(1),
        next_day=day + dt.timedelta(1),
        requests=selectors.book_requests(user=request.user, clinic=clinic)[:20],
        sets_hours=clinic.pk in access_for(request.user).managed_clinic_ids,
    )


@login_required
def book_week_view(request: StaffRequest):
    clinic = clinic_or_404(request)
    therapists = list(selectors.clinic_therapists(clinic=clinic))
    wanted = request.GET.get("therapist", "")
    therapist = next((t for t in therapists if str(t.pk) == wanted), None)
    if therapist is None:
        if wanted or not therapists:
            raise Http404
        therapist = therapists[0]
    day = _day(request, clinic.zone)
    monday = day - dt.timedelta(days=day.weekday())
    return _render(
        request,
        "scheduling/book_week.html",
        clinic,
        monday,
        grid=book_week(user=request.user, clinic=clinic, therapist=therapist, monday=monday),
        therapist=therapist,
        therapists=therapists,
        previous_day=monday - dt.timedelta(7),
        next_day=monday + dt.timedelta(7),
    )
