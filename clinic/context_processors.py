from django.conf import settings
from django.http import HttpRequest

from .permissions import access_for


def staff(request: HttpRequest):
    """What the staff page frame needs: the idle timeout its warning counts down from
    (static/js/idle.js) and whether to show the managers' links."""
    return {
        "idle_seconds": settings.SESSION_COOKIE_AGE,
        "manages_clinic": bool(access_for(request.user).managed_clinic_ids),
    }
