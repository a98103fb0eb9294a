"""What every API view shares: permissions by role, pagination, and how service errors answer."""

from typing import TYPE_CHECKING

import django_filters
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django_filters import ModelChoiceFilter, ModelMultipleChoiceFilter
from django_filters.fields import IsoDateTimeField
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .audit import audit_read, audit_record
from .forms import in_utc
from .models import AuditEvent
from .permissions import access_for, visible
from .transactions import BUSY_MESSAGE, is_transient, mark_busy
from .types import AnyUser

if TYPE_CHECKING:
    # Not at run time: DRF's generic views import this module (DEFAULT_FILTER_BACKENDS).
    from rest_framework.viewsets import ReadOnlyModelViewSet as _ViewSet
else:
    _ViewSet = object  # a mixin: the viewset comes after it in the bases


class AuditedReads(_ViewSet):
    """For viewsets of patient data: every list and every detail read leaves an audit row
    (writes are audited by the services they call)."""

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        audit_record(action=AuditEvent.Action.LIST, actor=request.user)
        return response

    def get_object(self):
        obj = super().get_object()
        if self.request.method == "GET":
            audit_read(user=self.request.user, obj=obj)
        return obj


def filter_choices(user: AnyUser, model):
    """The rows a list filter may name: what `user` may see. Any other id, another clinic's
    or one that never existed, is the same invalid choice (400, one message), so a filter
    never tells which of another clinic's ids exist."""
    if hasattr(model, "clinic_lookup"):
        return visible(user, model)
    if model is get_user_model():
        return model.objects.filter(
            memberships__clinic_id__in=access_for(user).clinic_ids
        ).distinct()
    return model._default_manager.all()  # a shared catalogue (muscles, movements)


class ScopedFilterBackend(DjangoFilterBackend):
    """django-filter, with every filter that names a row (`?patient=`, `?session=`,
    `?therapist=`...) choosing among the rows the caller may see: the filters Meta.fields
    generates choose among every row of the table otherwise."""

    def get_filterset(self, request: Request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            for name, filter_ in filterset.filters.items():
                if isinstance(filter_, ModelChoiceFilter | ModelMultipleChoiceFilter):
                    model = filter_.get_queryset(request).model
                    choices = filter_choices(request.user, model)
                    filter_.queryset = choices
                    # The form may already be built around the table-wide queryset.
                    filterset.form.fields[name].queryset = choices
        return filterset


class ReadsClinical(BasePermission):
    """Clinical endpoints: front desk is refused outright, not shown an empty list."""

    message = "Clinical records are for clinical staff."

    def has_permission(self, request: Request, view) -> bool:
        return bool(access_for(request.user).clinical_clinic_ids)


def managed_clinic_ids(user: AnyUser) -> list[int]:
    """The clinics whose outcome reports `user` may read (manager or administrator)."""
    return sorted(access_for(user).managed_clinic_ids)


class ManagesAClinic(BasePermission):
    message = "Clinic reports are for managers."

    def has_permission(self, request: Request, view) -> bool:
        return bool(managed_clinic_ids(request.user))


class _InstantField(IsoDateTimeField):
    def to_python(self, value):
        return in_utc(super().to_python(value))


class InstantFilter(django_filters.IsoDateTimeFilter):
    """Every date-time filter of the API: ISO 8601 with any offset, compared in UTC; a value
    whose offset or year PostgreSQL cannot hold answers 400, not 500."""

    field_class = _InstantField


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def exception_handler(exc, context):
    """Services raise Django's ValidationError; the API answers it as 400 with per-field
    messages, never 500. A deadlock or serialization failure that outlived its retries
    answers 503 with Retry-After (clinic/transactions.py)."""
    if is_transient(exc):
        message = str(BUSY_MESSAGE)
        return mark_busy(Response({"detail": message}, status=status.HTTP_503_SERVICE_UNAVAILABLE))
    if isinstance(exc, DjangoValidationError):
        body = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)
