"""Appointments, follow-ups and their reminders: front desk books and watches them over the API
too. Writes go through scheduling/appointments.py and follow_ups.py, which plan the reminder rows
with them."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from clinic.permissions import visible
from clinic.rest import AuditedReads, InstantFilter

from . import appointments, follow_ups, waitlist
from .models import Appointment, FollowUp, Reminder, WaitlistEntry
from .serializers import (
    AppointmentCreateSerializer,
    AppointmentMoveSerializer,
    AppointmentSerializer,
    AppointmentStatusSerializer,
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
        fields = ["appointment", "follow_up", "status", "channel", "kind"]


class ReminderViewSet(AuditedReads, viewsets.ReadOnlyModelViewSet):
    serializer_class = ReminderSerializer
    filterset_class = ReminderFilter
    ordering_fields = ["send_at", "created_at"]
    ordering = ["send_at", "id"]

    def get_queryset(self):
        return visible(self.request.user, Reminder)


class AppointmentFilter(django_filters.FilterSet):
    starts_after = InstantFilter("starts_at", lookup_expr="gte")
    starts_before = InstantFilter("starts_at", lookup_expr="lt")

    class Meta:
        model = Appointment
        fields = ["patient", "therapist", "room", "status", "kind"]


class AppointmentViewSet(AuditedReads, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The book over the API, scoped like its pages: book, move, and set the status
    (arrived, in treatment, completed, no-show, cancelled with a reason). Refusals (a taken
    slot, the past, outside the therapist's hours) answer 400 on their field."""

    serializer_class = AppointmentSerializer
    filterset_class = AppointmentFilter
    ordering_fields = ["starts_at", "created_at"]
    ordering = ["starts_at", "id"]

    def get_queryset(self):
        return visible(self.request.user, Appointment)

    @extend_schema(request=AppointmentCreateSerializer, responses={201: AppointmentSerializer})
    def create(self, request, *args, **kwargs):
        form = AppointmentCreateSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        data = form.validated_data
        appointment = appointments.appointment_book(
            duration_minutes=data.pop("duration_minutes"), actor=request.user, **data
        )
        return Response(self.get_serializer(appointment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AppointmentMoveSerializer, responses={200: AppointmentSerializer})
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        appointment = self.get_object()  # another clinic's: 404 before anything is read
        form = AppointmentMoveSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        appointment = appointments.appointment_move(
            appointment=appointment, actor=request.user, **form.validated_data
        )
        return Response(self.get_serializer(appointment).data)

    @extend_schema(request=AppointmentStatusSerializer, responses={200: AppointmentSerializer})
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request, pk=None):
        appointment = self.get_object()
        form = AppointmentStatusSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        appointment = appointments.appointment_set_status(
            appointment=appointment, actor=request.user, **form.validated_data
        )
        return Response(self.get_serializer(appointment).data)


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
