"""The views' side of the selectors' not-found convention (README, Architecture): a selector
that reads one row raises the model's DoesNotExist, the view answers 404."""

from collections.abc import Callable
from typing import TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404

T = TypeVar("T")


def or_404(selector: Callable[..., T], /, **kwargs) -> T:
    """`selector(**kwargs)`, or 404 when it finds no row the user may see (DRF answers an
    Http404 as a JSON 404 too)."""
    try:
        return selector(**kwargs)
    except ObjectDoesNotExist:
        raise Http404 from None
