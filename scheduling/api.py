"""Follow-ups and their reminders: front desk books and watches them over the API too. The
booking goes through scheduling/follow_ups.py, which plans the reminder rows with it."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from clinic.permissions import visible
from clinic.rest import AuditedReads, InstantFilter

from . import follow_ups, waitlist
from .models import FollowUp, Reminder, WaitlistEntry
from .serializers import (
    FollowUpCreateSerializer,
    FollowUpSerializer,
    ReminderSerializer,
    WaitlistEntryCreateSerializer,
    WaitlistEntrySerializer,
)


class FollowUpFilter(django_filters.FilterSet):
    due_after = InstantFilter("due_at", lookup_expr="gte")
    due_before = InstantFilter("due_at", lookup_expr="lt")

    class Meta:
        model = FollowUp
        fields = ["patient", "status", "kind", "therapist"]


class FollowUpViewSet(AuditedReads, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Front desk books and watches follow-ups too: they carry no clinical content."""

    serializer_class = FollowUpSerializer
    filterset_class = FollowUpFilter
    ordering_fields = ["due_at", "created_at"]
    ordering = ["due_at", "id"]

    def get_queryset(self):
        return visible(self.request.user, FollowUp)

    @extend_schema(request=FollowUpCreateSerializer, responses={201: FollowUpSerializer})
    def create(self, request, *args, **kwargs):
        form = FollowUpCreateSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        follow_up = follow_ups.follow_up_create(created_by=request.user, **form.validated_data)
        return Response(self.get_serializer(follow_up).data, status=status.HTTP_201_CREATED)


class ReminderFilter(django_filters.FilterSet):
    class Meta:
        model = Reminder
        fields = ["follow_up", "status", "channel", "kind"]


class ReminderViewSet(AuditedReads, viewsets.ReadOnlyModelViewSet):
    serializer_class = ReminderSerializer
    filterset_class = ReminderFilter
    ordering_fields = ["send_at", "created_at"]
    ordering = ["send_at", "id"]

    def get_queryset(self):
        return visible(self.request.user, Reminder)


class WaitlistEntryFilter(django_filters.FilterSet):
    class Meta:
        model = WaitlistEntry
        fields = ["patient", "status", "therapist"]


class WaitlistEntryViewSet(AuditedReads, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Patients waiting for an earlier slot; front desk enters them (scheduling/waitlist.py) and
    takes them off (`POST .../withdraw/`)."""

    serializer_class = WaitlistEntrySerializer
    filterset_class = WaitlistEntryFilter
    ordering_fields = ["created_at"]
    ordering = ["created_at", "id"]

    def get_queryset(self):
        return visible(self.request.user, WaitlistEntry)

    @extend_schema(request=WaitlistEntryCreateSerializer, responses={201: WaitlistEntrySerializer})
    def create(self, request, *args, **kwargs):
        form = WaitlistEntryCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        form.is_valid(raise_exception=True)
        entry = waitlist.waitlist_entry_create(actor=request.user, **form.validated_data)
        return Response(self.get_serializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: WaitlistEntrySerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        entry = waitlist.waitlist_entry_withdraw(entry=self.get_object(), actor=request.user)
        return Response(self.get_serializer(entry).data)
