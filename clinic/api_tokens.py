"""API tokens (`Authorization: Token <key>`): issued, checked, revoked.

Each issue makes a new random key; the database keeps its SHA-256 only. A token works until the
first of: API_TOKEN_MAX_HOURS after its issue, API_TOKEN_IDLE_MINUTES without use, its revocation
(sign-out through the API, its owner on /tokens/, a password change, deactivation, a role changed
or removed), or a change of what it was granted on: `grant` is an HMAC of the user's password
hash and clinic access, checked on every use, so a change made by any path (admin, bulk update,
raw SQL) ends it even where no signal ran. Revocations are audited.

Written here rather than taken from django-rest-knox (5.1 supports Django 5.2 and gives an idle
and an absolute expiry): the tokens page needs last use and addresses, which knox does not keep
(a swapped token model would leave knox little to do), knox deletes expired rows and checks only
`is_active`, and it scans every token of the user on each request."""

import hashlib
import secrets

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import OuterRef
from django.db.models.functions import JSONObject
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from .addresses import client_ip
from .audit import audit_record
from .models import ApiToken, AuditEvent, Membership
from .permissions import ACCESS_FIELDS, access_for, access_rows, remember_access
from .transactions import retrying_atomic
from .types import User

# Last use is written at most this often: a write on every autosave would be a write per request.
TOUCH_EVERY_SECONDS = 60


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _grant(user: User) -> str:
    """What a token was issued on: the password (its hash) and the clinics and roles' reach."""
    access = access_for(user)
    reach = "|".join(
        ",".join(str(i) for i in sorted(ids))
        for ids in (access.clinic_ids, access.clinical_clinic_ids, access.managed_clinic_ids)
    )
    value = f"{user.password}|{user.is_active}|{reach}"
    return salted_hmac("clinic.api_tokens.grant", value, algorithm="sha256").hexdigest()


@retrying_atomic
def api_token_issue(
    *, user: User, actor: User | None = None, ip: str | None = None
) -> tuple[ApiToken, str]:
    """A new token for `user`; returns it and its key, which is shown once and never stored.
    `actor` is the user signing in through the token endpoint; None from the command line."""
    key = secrets.token_urlsafe(32)
    user.__dict__.pop("_clinic_access", None)  # the grant is what the user holds now
    token = ApiToken.objects.create(
        user=user,
        digest=_digest(key),
        hint=key[:6],
        grant=_grant(user),
        created_at=timezone.now(),
        created_ip=ip,
    )
    if actor is not None:
        audit_record(
            action=AuditEvent.Action.LOGIN, actor=actor, actor_label=user.get_username(), obj=token
        )
    else:
        audit_record(action=AuditEvent.Action.CREATE, actor_label="system", obj=token)
    return token, key


@retrying_atomic
def api_token_revoke(*, token: ApiToken, reason: str, actor: User | None = None) -> bool:
    """End one token (no-op if it was already revoked); audited."""
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason
    )
    if revoked:
        audit_record(
            action=AuditEvent.Action.TOKEN_REVOKE,
            actor=actor,
            actor_label="" if actor is not None else "system",
            obj=token,
        )
    return bool(revoked)


@retrying_atomic
def api_tokens_revoke(*, user: User, reason: str, actor: User | None = None) -> int:
    """End every token of `user` still in force; one audit row per token. All their rows are
    locked before the first audit row is written (the trail's lock is always taken last)."""
    now = timezone.now()
    live = ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True)
    tokens = [t for t in live.order_by("pk") if t.is_usable(now)]
    ApiToken.objects.filter(pk__in=[t.pk for t in tokens]).update(
        revoked_at=now, revoked_reason=reason
    )
    for token in tokens:
        audit_record(
            action=AuditEvent.Action.TOKEN_REVOKE,
            actor=actor,
            actor_label="" if actor is not None else "system",
            obj=token,
        )
    return len(tokens)


def _token_with_access(digest: str) -> ApiToken | None:
    """The token, its user and the user's memberships in one query on PostgreSQL (an array of
    the membership rows beside the token's), so a small endpoint pays one lookup for who is
    asking, not two (issue 19)."""
    tokens = ApiToken.objects.select_related("user").filter(digest=digest)
    if connection.vendor != "postgresql":
        return tokens.first()  # access_for looks the memberships up itself
    fields = {f"f{index}": name for index, name in enumerate(ACCESS_FIELDS)}
    memberships = access_rows(Membership.objects.filter(user=OuterRef("user_id")))
    token = tokens.annotate(
        memberships=ArraySubquery(memberships.values(row=JSONObject(**fields)))
    ).first()
    if token is not None:
        remember_access(token.user, [[row[key] for key in fields] for row in token.memberships])
    return token


class ApiTokenAuthentication(BaseAuthentication):
    keyword = "Token"
    failed = _("Invalid or expired token.")

    def authenticate(self, request: Request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header."))
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(self.failed) from None
        token = _token_with_access(_digest(key))
        now = timezone.now()
        if token is None or not token.is_usable(now) or not token.user.is_active:
            raise exceptions.AuthenticationFailed(self.failed)
        user = token.user
        if not constant_time_compare(token.grant, _grant(user)):
            # Changed behind the signals' back (bulk update, raw SQL): end it for good.
            api_token_revoke(token=token, reason=ApiToken.Reason.GRANT_CHANGED)
            raise exceptions.AuthenticationFailed(self.failed)
        if not access_for(user).clinic_ids:
            raise exceptions.AuthenticationFailed(self.failed)
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() >= (
            TOUCH_EVERY_SECONDS
        ):
            ApiToken.objects.filter(pk=token.pk).update(
                last_used_at=now, last_used_ip=client_ip(request)
            )
        return user, token

    def authenticate_header(self, request: Request):
        return self.keyword


# Revocation as soon as something changes, whatever saved it (admin, a command, a service).


@receiver(pre_save, sender=User)
def _note_user_change(sender, instance, update_fields=None, **kwargs):
    if instance.pk is None or (
        update_fields is not None and not {"password", "is_active"} & set(update_fields)
    ):
        return
    before = User.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:
        return
    if before["is_active"] and not instance.is_active:
        instance._api_tokens_end = ApiToken.Reason.DEACTIVATED
    elif before["password"] != instance.password:
        instance._api_tokens_end = ApiToken.Reason.PASSWORD_CHANGED


@receiver(post_save, sender=User)
def _end_tokens_on_user_change(sender, instance, **kwargs):
    reason = instance.__dict__.pop("_api_tokens_end", None)
    if reason:
        api_tokens_revoke(user=instance, reason=reason)


@receiver(pre_save, sender=Membership)
def _note_membership_change(sender, instance, **kwargs):
    if instance.pk is None:
        return
    before = Membership.objects.filter(pk=instance.pk).values("role", "is_active").first()
    if before and (
        before["role"] != instance.role or (before["is_active"] and not instance.is_active)
    ):
        instance._api_tokens_end = True


@receiver(post_save, sender=Membership)
@receiver(post_delete, sender=Membership)
def _end_tokens_on_role_loss(sender, instance, **kwargs):
    if kwargs.get("signal") is post_delete or instance.__dict__.pop("_api_tokens_end", False):
        api_tokens_revoke(user=instance.user, reason=ApiToken.Reason.ROLE_CHANGED)


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Declares the token in the OpenAPI schema (`tokenAuth`), as for DRF's own tokens."""

    target_class = ApiTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=ApiTokenAuthentication.keyword
        )
