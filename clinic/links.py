"""One-time patient links (intake, check-in): the throttle on token guessing, and the one page
every unusable link answers with.

A link is unusable when its token is unknown, expired or already used; the page and status are
the same in every case, so nobody learns whether a token ever existed. Failed lookups are
counted per client address in the default cache (see CACHE_URL in settings): past
LINK_GUESS_LIMIT failures in a window, every link lookup from that address is refused."""

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest
from django.shortcuts import render
from django.utils import translation

from .addresses import client_ip
from .tokens import token_hash


class LinkUnavailable(Exception):
    """The link was used or expired while the patient was on it: show the friendly page."""


def _guess_key(request: HttpRequest) -> str:
    # Behind a proxy, the client's own address only when TRUSTED_PROXIES names that proxy.
    return "link-guesses:" + token_hash(client_ip(request) or "")


def link_lookup(request: HttpRequest, find):
    """`(find(), None)` when it finds the link's row, else `(None, the friendly page)`: `find` is
    a selector, raising DoesNotExist for a link it does not know. A miss counts as a guess;
    past the limit, `find` is not even called."""
    if cache.get(_guess_key(request), 0) >= settings.LINK_GUESS_LIMIT:
        return None, link_unavailable(request, throttled=True)
    try:
        return find(), None
    except ObjectDoesNotExist:
        _guess_failed(request)
        return None, link_unavailable(request)


def _guess_failed(request: HttpRequest) -> None:
    key = _guess_key(request)
    # add() starts the window only once; incr() then counts within it.
    cache.add(key, 0, timeout=settings.LINK_GUESS_WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # the window ended between add() and incr()
        cache.add(key, 1, timeout=settings.LINK_GUESS_WINDOW_SECONDS)


def link_unavailable(request: HttpRequest, *, throttled: bool = False):
    """The friendly page for any link that cannot be used, in the browser's language."""
    response = render(
        request,
        "link_unavailable.html",
        {"throttled": throttled},
        status=429 if throttled else 404,
    )
    response["Cache-Control"] = "no-store"
    return response


def link_language(language: str):
    """Render a patient's page in their language when known, else the browser's (already chosen
    by LocaleMiddleware). Use as `with link_language(...):` so the language is only this
    response's; the view sets Content-Language itself."""
    if language not in dict(settings.LANGUAGES):
        language = translation.get_language()
    return translation.override(language)
