"""One way every page tells the user that a service refused a write."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest


def service_error_messages(request: HttpRequest, error: Exception) -> None:
    """Each message of a ValidationError (every field's, in order) becomes an error message;
    any other refusal the services raise (PermissionDenied, SignedRecordLocked, DatabaseBusy)
    is one message, its own text, written for the user."""
    if isinstance(error, ValidationError):
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.error(request, str(error))
