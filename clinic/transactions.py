"""Transient database failures: retried inside write services, a 503 at the edge otherwise.

PostgreSQL aborts a transaction caught in a deadlock (SQLSTATE 40P01) or a serialization
failure (40001) and says the same work may simply be run again. Write services are idempotent
(they re-read their rows under locks), so `retrying_atomic` runs one again, a few times with a
short jittered pause, when it is the outermost transaction. A service called inside another
transaction cannot retry alone (the outer one is already aborted): the error goes up to the
outermost `retrying_atomic`, or to the edge.

When every attempt failed, `DatabaseBusy` is raised. It is a ValidationError on purpose: every
form view already re-shows its form, with what was typed, and the service's message when a
service refuses; the busy message takes the same path, and `TransientFailureMiddleware` turns
that response into a 503 with Retry-After. What no view handles (a read's audit row, a view that
does not catch) becomes the same 503 in the middleware (HTML or JSON) or in the API's exception
handler (JSON) — never a 500 and never a logged traceback."""

import contextvars
import functools
import logging
import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar, overload

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import OperationalError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy

logger = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")

DEADLOCK, SERIALIZATION_FAILURE = "40P01", "40001"
TRANSIENT_SQLSTATES = frozenset({DEADLOCK, SERIALIZATION_FAILURE})
BUSY_MESSAGE = gettext_lazy(
    "The system was too busy to save this just now. Nothing was saved: please try again "
    "in a few seconds."
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Set when this request gave up on a transient failure, so that the middleware answers 503
# even when a view caught DatabaseBusy and re-showed its form.
_gave_up: contextvars.ContextVar[bool] = contextvars.ContextVar("database_gave_up", default=False)


class DatabaseBusy(ValidationError):
    """Every attempt of a write hit a deadlock or serialization failure; nothing was written."""

    def __init__(self):
        # Keyed like a form's own errors, so `message_dict`, `messages` and `add_error(None, …)`
        # all work where views handle a service's ValidationError.
        super().__init__({NON_FIELD_ERRORS: [ValidationError(BUSY_MESSAGE, code="busy")]})


def transient_sqlstate(exc: BaseException | None) -> str | None:
    """The SQLSTATE of a deadlock or serialization failure in `exc` or its causes, else None."""
    seen = 0
    while exc is not None and seen < 5:
        code = getattr(exc, "pgcode", None) or getattr(getattr(exc, "diag", None), "sqlstate", None)
        if code in TRANSIENT_SQLSTATES:
            return code
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return None


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, DatabaseBusy) or transient_sqlstate(exc) is not None


def _pause(attempt: int) -> None:
    base = settings.DATABASE_RETRY_BASE_SECONDS
    time.sleep(base * 2 ** (attempt - 1) * random.uniform(0.5, 1.5))  # nosec B311 (jitter)


@overload
def retrying_atomic(func: Callable[P, R], *, using: str | None = None) -> Callable[P, R]: ...
@overload
def retrying_atomic(
    func: None = None, *, using: str | None = None
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...
def retrying_atomic(func=None, *, using: str | None = None):
    """Use in place of `@transaction.atomic` on a write service. As the outermost atomic block
    it retries on a deadlock or serialization failure (DATABASE_RETRY_ATTEMPTS in all) and
    then raises DatabaseBusy; nested in another transaction it is a plain atomic block."""

    def decorate(service: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(service)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            if transaction.get_connection(using).in_atomic_block:
                with transaction.atomic(using=using):
                    return service(*args, **kwargs)
            attempts = settings.DATABASE_RETRY_ATTEMPTS
            for attempt in range(1, attempts + 1):
                try:
                    with transaction.atomic(using=using):
                        return service(*args, **kwargs)
                except OperationalError as exc:
                    sqlstate = transient_sqlstate(exc)
                    if sqlstate is None:
                        raise
                    # The function and the code only: the error's text may quote row values.
                    logger.warning(
                        "%s: transient database failure %s (attempt %d of %d)",
                        service.__qualname__,
                        sqlstate,
                        attempt,
                        attempts,
                    )
                    if attempt == attempts:
                        _gave_up.set(True)
                        raise DatabaseBusy() from None
                    _pause(attempt)
            raise AssertionError("unreachable")  # pragma: no cover

        return wrapper

    return decorate(func) if func is not None else decorate


def _wants_json(request: HttpRequest) -> bool:
    return (
        request.path.startswith("/api/")
        or request.content_type == "application/json"
        or "application/json" in request.headers.get("Accept", "")
    )


def busy_response(request: HttpRequest):
    """503 with Retry-After: JSON for the API and the page scripts' calls, a page otherwise."""
    message = str(BUSY_MESSAGE)
    response: HttpResponse
    if _wants_json(request):
        response = JsonResponse({"detail": message, "errors": {"__all__": [message]}}, status=503)
    else:
        # Patients (no account) get their own frame, without the staff navigation.
        staff = getattr(getattr(request, "user", None), "is_authenticated", False)
        base_template = "base.html" if staff else "patient_base.html"
        context = {"message": message, "base_template": base_template}
        response = render(request, "busy.html", context, status=503)
    return mark_busy(response)


def mark_busy(response):
    response.status_code = 503
    response["Retry-After"] = str(settings.DATABASE_BUSY_RETRY_AFTER)
    response.database_busy = True
    # Already logged as a warning, once, without the request's data: Django would add an
    # ERROR line per 503 ("Service Unavailable: <path>"), which under load is only noise.
    response._has_been_logged = True
    return response


class TransientFailureMiddleware:
    """The edge of the retry design. A transient failure that reached no `retrying_atomic`
    (a read's audit row, a view's own transaction) answers 503 instead of 500; a safe request
    (GET) that failed so is first run again, as a write service would be. A form view that caught
    DatabaseBusy keeps its page (with what was typed) and gets the 503 status."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        attempts = settings.DATABASE_RETRY_ATTEMPTS if request.method in SAFE_METHODS else 1
        for attempt in range(1, attempts + 1):
            token = _gave_up.set(False)
            try:
                response = self.get_response(request)
                gave_up = _gave_up.get()
            finally:
                _gave_up.reset(token)
            # A write that already used its retries is not run again with the whole request.
            if not getattr(response, "database_busy", False) or gave_up or attempt == attempts:
                break
            _pause(attempt)
        # A redirect carries its message.
        redirect = 300 <= response.status_code < 400
        if gave_up and not getattr(response, "database_busy", False) and not redirect:
            mark_busy(response)
        return response

    def process_exception(self, request: HttpRequest, exception):
        if not is_transient(exception):
            return None
        if not isinstance(exception, DatabaseBusy):
            logger.warning(
                "%s %s: transient database failure %s",
                request.method,
                request.resolver_match.view_name if request.resolver_match else "",
                transient_sqlstate(exception),
            )
        return busy_response(request)
