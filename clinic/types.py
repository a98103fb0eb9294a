"""Types shared by every app (checked by mypy with django-stubs, see `make lint`).

`User` is the class of settings.AUTH_USER_MODEL (Django's own): every `user` and `actor`
parameter of a service, selector or view helper is one. Views behind `login_required` take a
`StaffRequest` and API views a `StaffApiRequest`, whose user is signed in; only the permission
gate (`access_for`, `visible`), the audit trail and what runs before sign-in also meet an
`AnonymousUser` (`AnyUser`).
"""

from typing import TYPE_CHECKING, TypeAlias

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser
from django.http import HttpRequest
from django.utils.functional import Promise
from rest_framework.request import Request

User: TypeAlias = AuthUser
AnyUser: TypeAlias = AuthUser | AnonymousUser


class StaffRequest(HttpRequest):
    """A request past `login_required`: its user has signed in."""

    user: User


class StaffApiRequest(Request):
    """An API request past `IsAuthenticated` (the API's default permission) or another
    permission that refuses anonymous callers: its user has signed in."""

    user: User


if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise
else:
    # A label: a str, or a lazy translation that becomes one when shown.
    StrOrPromise = str | Promise
