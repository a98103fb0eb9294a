from django.utils import timezone

from .permissions import access_for


class ClinicTimeZoneMiddleware:
    """Show dates and times in the signed-in user's clinic's zone; everything is stored in UTC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = access_for(request.user).time_zone
        if zone:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
