"""Reads about the clinic itself: which clinic a request means, the audit trail for its
managers, sign-in locks and API tokens.

Not found: a selector that reads one row raises the model's `DoesNotExist` (a row of another
clinic is simply absent); views turn it into 404."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone

from .models import ApiToken, AuditEvent, Clinic, Membership, SignInGuard
from .permissions import access_for
from .types import User


def clinics_of(*, user: User, managed: bool = False) -> QuerySet[Clinic]:
    """The clinics `user` works in (`managed`: as manager or administrator), in the one order
    every clinic picker and default follows: by name, then slug."""
    access = access_for(user)
    ids = access.managed_clinic_ids if managed else access.clinic_ids
    return Clinic.objects.filter(pk__in=ids).order_by("name", "slug")


def clinic_resolve(*, user: User, slug: str | None = None, managed: bool = False) -> Clinic:
    """Which clinic a request means, the same way on every page and API: the one its
    `?clinic=<slug>` names among `clinics_of(user, managed)`, else the first of those (by name).
    Raises Clinic.DoesNotExist for a slug outside them, or when there are none."""
    clinics = clinics_of(user=user, managed=managed)
    if slug:
        return clinics.get(slug=slug)
    clinic = clinics.first()
    if clinic is None:
        raise Clinic.DoesNotExist
    return clinic


def audit_events(
    *,
    user: User,
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


def locked_staff(*, user: User) -> list[dict]:
    """Sign-in locks in force on the staff of the clinics `user` manages (the audit page)."""
    managed = access_for(user).managed_clinic_ids
    if not managed:
        return []
    staff = get_user_model().objects.filter(memberships__clinic_id__in=managed)
    guards = SignInGuard.objects.filter(
        username__in=staff.values("username"), locked_until__gt=timezone.now()
    ).order_by("username", "step")
    users = {u.username: u for u in staff.filter(username__in=guards.values("username"))}
    return [
        {"user": users[g.username], "step": g.get_step_display(), "until": g.locked_until}
        for g in guards
    ]


def unlockable_staff(*, user: User, user_id: int):
    """A staff member of a clinic `user` manages; DoesNotExist for anyone else."""
    return (
        get_user_model()
        .objects.filter(memberships__clinic_id__in=access_for(user).managed_clinic_ids)
        .distinct()
        .get(pk=user_id)
    )


def api_tokens_of(*, user: User) -> QuerySet[ApiToken]:
    """The caller's own API tokens, newest first: nobody lists anyone else's."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def active_memberships(*, user: User) -> QuerySet[Membership]:
    """Where the user works now, with each clinic (the home page greets them with these)."""
    return user.memberships.filter(is_active=True).select_related("clinic")
