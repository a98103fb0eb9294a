from django.conf import settings


def idle_timeout(request):
    """The idle timeout the staff pages' warning counts down from (static/js/idle.js)."""
    return {"idle_seconds": settings.SESSION_COOKIE_AGE}
