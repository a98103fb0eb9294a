"""Sign-in throttles: per client address (here, in the cache) and per account (the locks of
auth.py, answered the same way). Every sign-in route is listed in SIGN_IN_ROUTES; a POST to one
of them from an address that failed SIGN_IN_ADDRESS_FAILURE_LIMIT sign-ins in the current
window, or for an account whose step is locked, answers 429 with Retry-After, as JSON under
/api/ and as a page elsewhere, before the view checks any password or code.

Failures are counted in fixed windows of SIGN_IN_ADDRESS_WINDOW_SECONDS, in the default cache
(CACHE_URL): with several web processes it must be shared (Redis), or each process counts
alone. Successful sign-ins are not counted, so a clinic whose staff share one address through
a NAT is held back only by failures."""

import contextvars
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from .addresses import client_ip
from .tokens import token_hash

# Route names (with their namespace) that check a password or a second-factor code.
SIGN_IN_ROUTES = frozenset({"login", "second_factor", "api-token", "admin:login"})

_address: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "sign_in_address", default=None
)


def _window() -> tuple[str, float]:
    """The current window's key suffix and the seconds left in it."""
    length = settings.SIGN_IN_ADDRESS_WINDOW_SECONDS
    now = time.time()
    start = int(now // length) * length
    return str(start), start + length - now


def _key(address: str, window: str) -> str:
    return f"sign-in-failures:{token_hash(address)}:{window}"


def address_wait(address: str | None) -> int:
    """Seconds until `address` may try to sign in again; 0 when it may now."""
    if not address:
        return 0
    window, left = _window()
    if cache.get(_key(address, window), 0) >= settings.SIGN_IN_ADDRESS_FAILURE_LIMIT:
        return max(1, math.ceil(left))
    return 0


def address_failed() -> None:
    """Count a failed sign-in against the address of the request being answered (none outside
    a request: a management command, a test calling a service)."""
    address = _address.get()
    if not address:
        return
    window, left = _window()
    key = _key(address, window)
    cache.add(key, 0, timeout=math.ceil(left) + 1)
    try:
        cache.incr(key)
    except ValueError:  # evicted between add() and incr()
        cache.add(key, 1, timeout=math.ceil(left) + 1)


def too_many_attempts(request: HttpRequest, seconds: int, *, message: str = ""):
    """429 with Retry-After: JSON for the API, the sign-in frame's page for people."""
    minutes = max(1, math.ceil(seconds / 60))
    message = message or _("Too many failed sign-ins. Try again in %(minutes)d minutes.") % {
        "minutes": minutes
    }
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = render(
            request, "registration/too_many_attempts.html", {"message": message}, status=429
        )
    response["Retry-After"] = str(seconds)
    response["Cache-Control"] = "no-store"
    return response


def code_lock_message() -> str:
    return _(
        "Too many wrong codes for this account: its code step is locked. Ask your clinic's "
        "manager to unlock it, or try again later."
    )


class SignInThrottleMiddleware:
    """Keeps the client's address for the failure counters, and refuses sign-in attempts from
    a throttled address or for a locked account before the view runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        token = _address.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            _address.reset(token)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if request.method != "POST" or match is None or match.view_name not in SIGN_IN_ROUTES:
            return None
        wait = address_wait(_address.get())
        if wait:
            return too_many_attempts(request, wait)
        # The account's own lock, where the account is known before the view parses the body
        # (the API token view checks it itself, once its JSON is read).
        from .auth import Step, lock_remaining

        if match.view_name == "second_factor" and request.user.is_authenticated:
            wait = lock_remaining(request.user.get_username(), Step.CODE)
            if wait:
                return too_many_attempts(request, wait, message=code_lock_message())
        elif match.view_name in ("login", "admin:login"):
            wait = lock_remaining(request.POST.get("username", ""), Step.PASSWORD)
            if wait:
                return too_many_attempts(request, wait)
        return None
