"""Reads about the clinic itself: the audit trail for its managers."""

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from .models import AuditEvent
from .permissions import access_for


def audit_events(
    *,
    user,
    username: str = "",
    patient: int | None = None,
    action: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[AuditEvent]:
    """Events of the clinics the user manages, newest first; dates are the clinic's days."""
    events = AuditEvent.objects.filter(clinic_id__in=access_for(user).managed_clinic_ids)
    if username:
        events = events.filter(actor__username=username)
    if patient:
        events = events.filter(patient_id=patient)
    if action:
        events = events.filter(action=action)
    zone = timezone.get_current_timezone()
    if date_from:
        events = events.filter(at__gte=dt.datetime.combine(date_from, dt.time.min, zone))
    if date_to:
        end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, zone)
        events = events.filter(at__lt=end)
    return events.select_related("actor").order_by("-at", "-id")
