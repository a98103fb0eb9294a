"""Locks on guessing, per account, on every path that signs someone in (staff pages, admin, API
token), kept in the database so that every web process sees them.

Two steps are counted apart, each in its own SignInGuard row: wrong passwords for a username
(LOGIN_FAILURE_LIMIT within LOGIN_LOCKOUT_MINUTES lock it for LOGIN_LOCKOUT_MINUTES; a right
password starts the count again), and wrong authenticator or recovery codes for an account
(SECOND_FACTOR_FAILURE_LIMIT within SECOND_FACTOR_WINDOW_MINUTES lock its code step for
SECOND_FACTOR_LOCK_MINUTES; only a right code starts that count again, never a right password,
so password -> 4 wrong codes -> password -> ... locks like 5 wrong codes in a row). Every failure
is audited, every lock too (filed under each of the account's clinics, for their managers),
and a manager of the account's clinic can unlock it (`sign_in_unlock`)."""

import datetime as dt
import math
from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from . import throttle
from .audit import audit_record
from .middleware import mark_active
from .models import AuditEvent, Membership, SignInGuard
from .permissions import access_for
from .transactions import retrying_atomic
from .types import User

A = AuditEvent.Action
Step = SignInGuard.Step


def _limits(step: str) -> tuple[int, dt.timedelta, dt.timedelta]:
    """(failures that lock, the window they are counted in, how long the lock lasts)."""
    if step == Step.CODE:
        return (
            settings.SECOND_FACTOR_FAILURE_LIMIT,
            dt.timedelta(minutes=settings.SECOND_FACTOR_WINDOW_MINUTES),
            dt.timedelta(minutes=settings.SECOND_FACTOR_LOCK_MINUTES),
        )
    lockout = dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    return settings.LOGIN_FAILURE_LIMIT, lockout, lockout


def _username(value) -> str:
    # NUL cannot reach PostgreSQL; such a name is counted without it.
    return str(value or "").replace("\x00", "")[:150]


def lock_remaining(username: str, step: str) -> int:
    """Seconds until `username`'s `step` opens again; 0 when it is open. One indexed read."""
    username = _username(username)
    if not username:
        return 0
    now = timezone.now()
    until = (
        SignInGuard.objects.filter(username=username, step=step, locked_until__gt=now)
        .values_list("locked_until", flat=True)
        .first()
    )
    return math.ceil((until - now).total_seconds()) if until else 0


def is_locked_out(username: str) -> bool:
    return lock_remaining(username, Step.PASSWORD) > 0


@retrying_atomic
def sign_in_failed(*, username: str, step: str) -> None:
    """One failed attempt: counted for the account (locking it at the limit), for the client's
    address (see throttle.py), and audited."""
    username = _username(username)
    throttle.address_failed()
    if not username:
        audit_record(action=A.LOGIN_FAILED, actor_label="")
        return
    now = timezone.now()
    limit, window, lock = _limits(step)
    # The guard row is locked before the audit trail is written, on every path (one lock order).
    guard, _ = SignInGuard.objects.select_for_update().get_or_create(
        username=username, step=step, defaults={"window_started_at": now}
    )
    locked = guard.locked_until is not None and guard.locked_until > now
    if not locked and guard.window_started_at <= now - window:
        guard.failures, guard.window_started_at, guard.locked_until = 0, now, None
    guard.failures += 1
    locks_now = not locked and guard.failures >= limit
    if locks_now:
        guard.locked_until = now + lock
    guard.save()
    audit_record(action=A.LOGIN_FAILED, actor_label=username)
    if locks_now:
        user = get_user_model().objects.filter(username=username).first()
        clinic_ids: Sequence[int | None] = sorted(
            set(Membership.objects.filter(user=user).values_list("clinic_id", flat=True))
            if user
            else ()
        )
        for clinic_id in clinic_ids or [None]:
            audit_record(action=A.LOCKOUT, actor_label=username, obj=user, clinic_id=clinic_id)


def sign_in_succeeded(*, username: str, step: str) -> None:
    """A right password or code: that step's count starts again (a lock is never lifted here:
    the step was checked to be open before the password or code was)."""
    SignInGuard.objects.filter(
        Q(locked_until__isnull=True) | Q(locked_until__lte=timezone.now()),
        username=_username(username),
        step=step,
    ).delete()


@retrying_atomic
def sign_in_unlock(*, user: User, actor: User | None = None) -> bool:
    """Lift every sign-in lock of `user` (both steps), audited under the clinics concerned.
    `actor` is a manager of one of the user's clinics (the view found `user` through
    `selectors.unlockable_staff`); None from the command line."""
    removed, _ = SignInGuard.objects.filter(username=user.get_username()).delete()
    clinic_ids = set(user.memberships.values_list("clinic_id", flat=True))
    if actor is not None:
        clinic_ids &= access_for(actor).managed_clinic_ids
    for clinic_id in sorted(clinic_ids) or (None,):
        audit_record(
            action=A.UNLOCK,
            actor=actor,
            actor_label="" if actor else "system",
            obj=user,
            clinic_id=clinic_id,
        )
    return bool(removed)


class LockoutModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if is_locked_out(username or ""):
            # PermissionDenied stops Django from trying any other backend.
            raise PermissionDenied("too many failed sign-ins")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None:
            sign_in_succeeded(username=username, step=Step.PASSWORD)
        return user


@receiver(user_login_failed)
def _record_failure(sender, credentials, request=None, **kwargs):
    sign_in_failed(username=credentials.get("username", ""), step=Step.PASSWORD)


@receiver(user_logged_in)
def _record_success(sender, request, user: User, **kwargs):
    audit_record(action=A.LOGIN, actor=user, actor_label=user.get_username()[:150])
    if request is not None:
        mark_active(request.session)


@receiver(post_save, sender=Membership)
@receiver(post_delete, sender=Membership)
def _record_role_change(sender, instance, **kwargs):
    """Who may see what changed: a role granted, changed, switched off or removed, from the
    admin or anywhere else."""
    audit_record(
        action=A.ROLE_CHANGE,
        actor_label=instance.user.get_username()[:150],
        obj=instance,
        clinic_id=instance.clinic_id,
    )
