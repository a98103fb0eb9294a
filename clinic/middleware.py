import functools
import time

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from .permissions import access_for


class ClinicTimeZoneMiddleware:
    """Show dates and times in the signed-in user's clinic's zone; everything is stored in UTC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        zone = access_for(request.user).time_zone
        if zone:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


# A session is renewed at most this often: renewing on every request would write the session
# row on every page view and autosave.
RENEW_EVERY = 60


class IdleSessionMiddleware:
    """Staff sessions last SESSION_COOKIE_AGE after the last activity: each request, or each
    minute of requests, pushes the expiry forward by saving the session."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if request.user.is_authenticated:
            mark_active(request.session)
        return self.get_response(request)


def mark_active(session) -> None:
    now = int(time.time())
    if now - session.get("active_at", 0) >= RENEW_EVERY:
        session["active_at"] = now  # modified: saved with a fresh expiry


class ContentSecurityPolicyMiddleware:
    """No inline script or style runs on any page: page code lives in static/js/ (one file per
    page) and data reaches it through json_script, so an injected <script> does nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response


def allows_inline_styles(view):
    """For third-party pages that set element styles inline (Swagger UI): scripts stay
    'self'-only, only style-src is widened."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = settings.CONTENT_SECURITY_POLICY.replace(
            "style-src 'self'", "style-src 'self' 'unsafe-inline'"
        )
        return response

    return wrapped
