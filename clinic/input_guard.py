"""Hostile input stops at the edge with a 400 and a clear message, never deeper as a 500.

Two shapes did reach the code: JSON nested thousands of levels deep (Python's parser gives up with
a RecursionError) and the NUL character, which PostgreSQL refuses in any text (a ValueError from
the driver, whatever the field). Both are refused here, once for every route:

- `InputGuardMiddleware` checks the path, the query string, cookies, header values and form
  fields of every request before any view, session or database lookup sees them;
- `json_load` is the one JSON reader for request bodies: a depth limit (JSON_MAX_DEPTH), no NUL,
  no lone surrogate (which PostgreSQL cannot store either). The API's parsers (`JSONParser`,
  `FormParser`, `MultiPartParser` below, set in REST_FRAMEWORK) and the draft autosave use it.
"""

import json
from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.http.request import RawPostDataException
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError


class HostileInput(ValueError):
    """The request carries something no field accepts; the message says what, for the client."""


def nul_message() -> str:
    return _("Text may not contain the NUL character (\\u0000).")


def _depth_message() -> str:
    return _("The JSON nests deeper than %(limit)d levels.") % {"limit": settings.JSON_MAX_DEPTH}


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise HostileInput(nul_message())
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise HostileInput(_("Text may not contain a lone surrogate (\\ud800-\\udfff).")) from None


def check_data(data, *, max_depth: int | None = None) -> None:
    """Walk parsed data (without recursion: it may be deep) and refuse NUL characters, lone
    surrogates and nesting past `max_depth`."""
    limit = settings.JSON_MAX_DEPTH if max_depth is None else max_depth
    stack = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            _check_text(value)
        elif isinstance(value, dict | list):
            if depth >= limit:
                raise HostileInput(_depth_message())
            if isinstance(value, dict):
                for key, item in value.items():
                    _check_text(key)
                    stack.append((item, depth + 1))
            else:
                stack.extend((item, depth + 1) for item in value)


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def json_load(body: bytes | str):
    """A request body as JSON, or HostileInput with a message for the client."""
    try:
        data = json.loads(body, parse_constant=_refuse_constant)
    except RecursionError:
        raise HostileInput(_depth_message()) from None
    except (ValueError, UnicodeDecodeError) as error:
        message = _("The body is not valid JSON (%(error)s).") % {"error": error}
        raise HostileInput(message) from None
    check_data(data)
    return data


def request_json(request: HttpRequest):
    """The body of a Django request as JSON (for views outside the API's parsers)."""
    try:
        body = request.body
    except RawPostDataException:  # a form body, already read as form fields
        raise HostileInput(_("The body must be JSON.")) from None
    return json_load(body or b"null")


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read() if stream is not None else b""
        try:
            return json_load(body)
        except HostileInput as error:
            raise ParseError(str(error)) from None


if TYPE_CHECKING:
    _Parser = parsers.BaseParser
else:
    _Parser = object  # a mixin: the parser comes after it in the bases


class _CheckedFields(_Parser):
    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        # A QueryDict from either parser: multipart's in its answer (data, files).
        data = cast(QueryDict, getattr(parsed, "data", parsed))
        try:
            for key, values in data.lists():
                check_data([key, *values])
        except HostileInput as error:
            raise ParseError(str(error)) from None
        return parsed


class FormParser(_CheckedFields, parsers.FormParser):
    pass


class MultiPartParser(_CheckedFields, parsers.MultiPartParser):
    pass


def _request_problem(request: HttpRequest) -> str:
    """What in the request no view may see, or ""."""
    texts = [request.path_info, *request.COOKIES, *request.COOKIES.values()]
    texts += [value for key, value in request.META.items() if key.startswith("HTTP_")]
    for key, values in request.GET.lists():
        texts += [key, *values]
    if request.method == "POST" and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        for key, values in request.POST.lists():
            texts += [key, *values]
    for text in texts:
        try:
            _check_text(text if isinstance(text, str) else str(text))
        except HostileInput as error:
            return str(error)
    return ""


class InputGuardMiddleware:
    """Refuses NUL characters (and lone surrogates) anywhere in a request's path, query string,
    cookies, headers and form fields with 400, before anything else reads them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        problem = _request_problem(request)
        if problem:
            return bad_request(request, problem)
        return self.get_response(request)


def bad_request(request: HttpRequest, message: str) -> HttpResponse:
    if request.path_info.startswith("/api/") or "json" in request.headers.get("Accept", ""):
        return JsonResponse({"detail": message}, status=400)
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
