"""TOTP, the second factor every staff sign-in needs (RFC 6238: 6 digits, 30-second steps).

A password sign-in leaves the session half-open: `SecondFactorMiddleware` lets such a session
reach only the sign-in pages until `code_verify` (or a recovery code) completes it. Wrong codes,
authenticator or recovery, are counted per account across sign-ins and lock the account's code
step (clinic/auth.py); a locked step refuses even the right code."""

import enum
import hashlib
import secrets
import time

import pyotp
import segno
from django.http import HttpRequest, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from .auth import Step, lock_remaining, sign_in_failed, sign_in_succeeded
from .models import RecoveryCode, TOTPDevice
from .transactions import retrying_atomic
from .types import User

SESSION_KEY = "second_factor_ok"
ISSUER = "Trigger-point clinic"
RECOVERY_CODES = 10
# Codes from one step either side are accepted: phones' clocks drift.
VALID_WINDOW = 1


def _step(at: float | None = None) -> int:
    return int((at if at is not None else time.time()) // 30)


def device_for(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user).first()


def enrolment_begin(*, user: User) -> TOTPDevice:
    """A new secret for a user who has no confirmed authenticator yet."""
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, defaults={"secret": pyotp.random_base32()}
    )
    return device


def provisioning_qr(device: TOTPDevice) -> str:
    """The otpauth:// link as an SVG data URI, for the authenticator app to scan."""
    uri = pyotp.TOTP(device.secret).provisioning_uri(
        name=device.user.get_username(), issuer_name=ISSUER
    )
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().lower().replace("-", "").encode()).hexdigest()


class CodeCheck(enum.Enum):
    """What `code_verify` found; true only when the code was accepted."""

    ACCEPTED = "accepted"
    WRONG = "wrong"
    # The right code, already used for an earlier sign-in: the app shows it until its 30 s end.
    JUST_USED = "just_used"

    def __bool__(self) -> bool:
        return self is CodeCheck.ACCEPTED


def _matching_step(device: TOTPDevice, code: str) -> int | None:
    """The time step within the accepted window whose code `code` is, used or not."""
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(device.secret)
    now = _step(time.time())
    for step in range(now - VALID_WINDOW, now + VALID_WINDOW + 1):
        if secrets.compare_digest(totp.at(step * 30), code):
            return step
    return None


@retrying_atomic
def code_verify(*, user: User, code: str) -> CodeCheck:
    """Whether `code` is the user's current TOTP code, not used before. Confirms a new device
    on its first good code. A wrong or reused code is a failed sign-in (counted, audited); while
    the account's code step is locked every code is refused, uncounted."""
    if lock_remaining(user.get_username(), Step.CODE):
        return CodeCheck.WRONG
    device = TOTPDevice.objects.select_for_update().filter(user=user).first()
    matched = _matching_step(device, (code or "").strip().replace(" ", "")) if device else None
    if device is None or matched is None or matched <= device.last_step:
        sign_in_failed(username=user.get_username(), step=Step.CODE)
        return CodeCheck.WRONG if matched is None else CodeCheck.JUST_USED
    device.last_step = matched
    device.confirmed_at = device.confirmed_at or timezone.now()
    device.save(update_fields=["last_step", "confirmed_at"])
    sign_in_succeeded(username=user.get_username(), step=Step.CODE)
    return CodeCheck.ACCEPTED


@retrying_atomic
def recovery_codes_issue(*, user: User) -> list[str]:
    """Fresh one-time recovery codes (shown once); earlier ones stop working."""
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create(RecoveryCode(user=user, code_hash=_hash(c)) for c in codes)
    return codes


@retrying_atomic
def recovery_code_use(*, user: User, code: str) -> bool:
    """Like `code_verify`, for a one-time recovery code: same count, same lock."""
    if lock_remaining(user.get_username(), Step.CODE):
        return False
    used = RecoveryCode.objects.filter(
        user=user, code_hash=_hash(code or ""), used_at__isnull=True
    ).update(used_at=timezone.now())
    if not used:
        sign_in_failed(username=user.get_username(), step=Step.CODE)
        return False
    sign_in_succeeded(username=user.get_username(), step=Step.CODE)
    return True


# Paths a half-signed-in session may reach: signing in and out, and the static files they use.
OPEN_PREFIXES = ("/accounts/", "/static/", "/healthz")


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        user = request.user
        if (
            user.is_authenticated
            and not request.session.get(SESSION_KEY)
            and not request.path.startswith(OPEN_PREFIXES)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": "The second sign-in factor is missing."}, status=403)
            return redirect(
                f"{reverse('second_factor')}?{urlencode({'next': request.get_full_path()})}"
            )
        return self.get_response(request)
