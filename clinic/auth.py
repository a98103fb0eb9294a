"""Sign-in lockout on every path that checks a password (staff pages, admin, API token).

Failed and successful sign-ins are audit events; a username with LOGIN_FAILURE_LIMIT failures
since its last success, within the last LOGIN_LOCKOUT_MINUTES, is refused even with the right
password until the window has passed. Counting in the database works across every web process."""

import datetime as dt

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.exceptions import PermissionDenied
from django.db.models import Max
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from .audit import audit_record
from .middleware import mark_active
from .models import AuditEvent, Membership

A = AuditEvent.Action


def is_locked_out(username: str) -> bool:
    if not username:
        return False
    window_start = timezone.now() - dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    attempts = AuditEvent.objects.filter(actor_label=username[:150], at__gte=window_start)
    last_success = attempts.filter(action=A.LOGIN).aggregate(at=Max("at"))["at"]
    failures = attempts.filter(action=A.LOGIN_FAILED)
    if last_success:
        failures = failures.filter(at__gt=last_success)
    return failures.count() >= settings.LOGIN_FAILURE_LIMIT


class LockoutModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(self._username_field())
        if is_locked_out(username or ""):
            # PermissionDenied stops Django from trying any other backend.
            raise PermissionDenied("too many failed sign-ins")
        return super().authenticate(request, username=username, password=password, **kwargs)

    @staticmethod
    def _username_field() -> str:
        from django.contrib.auth import get_user_model

        return get_user_model().USERNAME_FIELD


@receiver(user_login_failed)
def _record_failure(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    audit_record(action=A.LOGIN_FAILED, actor_label=username)


@receiver(user_logged_in)
def _record_success(sender, request, user, **kwargs):
    audit_record(action=A.LOGIN, actor=user, actor_label=user.get_username()[:150])
    if request is not None:
        mark_active(request.session)


@receiver(post_save, sender=Membership)
@receiver(post_delete, sender=Membership)
def _record_role_change(sender, instance, **kwargs):
    """Who may see what changed: a role granted, changed, switched off or removed, from the
    admin or anywhere else."""
    audit_record(
        action=A.ROLE_CHANGE, actor_label=instance.user.get_username()[:150], obj=instance,
        clinic_id=instance.clinic_id,
    )  # fmt: skip
