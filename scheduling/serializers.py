"""Appointments, follow-ups and reminders over the API: reads show the row, the writes take what
scheduling/appointments.py and follow_ups.py take."""

from django.contrib.auth import get_user_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clinic.permissions import visible
from patients.models import Patient
from sessions.models import TreatmentSession
from sessions.serializers import VisibleRelated

from .models import Appointment, FollowUp, Reminder, Room, WaitlistEntry


class FollowUpSerializer(serializers.ModelSerializer):
    class Meta:
        model = FollowUp
        fields = [
            "id",
            "patient",
            "session",
            "therapist",
            "kind",
            "status",
            "due_at",
            "note",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


@extend_schema_field(OpenApiTypes.INT)
class StaffOfVisibleClinics(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        user = self.context["request"].user
        clinics = visible(user, Patient).values("clinic_id")
        return get_user_model().objects.filter(memberships__clinic_id__in=clinics).distinct()


class FollowUpCreateSerializer(serializers.Serializer):
    patient = VisibleRelated(Patient)
    due_at = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=FollowUp.Kind.choices, default=FollowUp.Kind.APPOINTMENT)
    session = VisibleRelated(TreatmentSession, required=False, allow_null=True)
    therapist = StaffOfVisibleClinics(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)

    def validate(self, attrs):
        session = attrs.get("session")
        if session is not None and session.patient_id != attrs["patient"].pk:
            raise serializers.ValidationError({"session": ["This session is another patient's."]})
        return attrs


class ReminderSerializer(serializers.ModelSerializer):
    class Meta:
        model = Reminder
        fields = [
            "id",
            "appointment",
            "follow_up",
            "channel",
            "kind",
            "send_at",
            "status",
            "attempts",
            "sent_at",
            "created_at",
        ]
        read_only_fields = fields


class AppointmentSerializer(serializers.ModelSerializer):
    duration_minutes = serializers.IntegerField(read_only=True)

    class Meta:
        model = Appointment
        fields = [
            "id",
            "clinic",
            "patient",
            "therapist",
            "room",
            "kind",
            "status",
            "starts_at",
            "ends_at",
            "duration_minutes",
            "note",
            "confirmed_at",
            "cancelled_at",
            "cancelled_by_patient",
            "cancel_reason",
            "cancelled_late",
            "session",
            "follow_up",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


@extend_schema_field(OpenApiTypes.INT)
class RoomOfVisibleClinics(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return visible(self.context["request"].user, Room)


class AppointmentCreateSerializer(serializers.Serializer):
    patient = VisibleRelated(Patient)
    therapist = StaffOfVisibleClinics()
    starts_at = serializers.DateTimeField()
    duration_minutes = serializers.IntegerField(min_value=5, max_value=480, default=45)
    kind = serializers.ChoiceField(
        choices=Appointment.Kind.choices, default=Appointment.Kind.TREATMENT
    )
    room = RoomOfVisibleClinics(required=False, allow_null=True)
    follow_up = VisibleRelated(FollowUp, required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)

    def validate(self, attrs):
        follow_up = attrs.get("follow_up")
        if follow_up is not None and follow_up.patient_id != attrs["patient"].pk:
            raise serializers.ValidationError({"follow_up": ["This request is another patient's."]})
        return attrs


class AppointmentMoveSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    duration_minutes = serializers.IntegerField(min_value=5, max_value=480, required=False)
    therapist = StaffOfVisibleClinics(required=False, allow_null=True)


class AppointmentStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Appointment.Status.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class WaitlistEntrySerializer(serializers.ModelSerializer):
    weekdays = serializers.ListField(source="weekday_list", child=serializers.IntegerField())
    parts_of_day = serializers.SerializerMethodField()

    class Meta:
        model = WaitlistEntry
        fields = [
            "id",
            "patient",
            "therapist",
            "weekdays",
            "parts_of_day",
            "until",
            "duration_minutes",
            "kind",
            "appointment",
            "note",
            "status",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields

    def get_parts_of_day(self, entry: WaitlistEntry) -> list[str]:
        return [part.name.lower() for part in entry.part_list]


PARTS_OF_DAY = {part.name.lower(): part.value for part in WaitlistEntry.PartOfDay}


class WaitlistEntryCreateSerializer(serializers.Serializer):
    """`weekdays`: 0 (Monday) to 6; `parts_of_day`: morning (before 12:00), afternoon (12:00 to
    17:00), evening (from 17:00), in the clinic's time zone."""

    patient = VisibleRelated(Patient)
    therapist = StaffOfVisibleClinics(required=False, allow_null=True)
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6), allow_empty=False
    )
    parts_of_day = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(PARTS_OF_DAY)), allow_empty=False
    )
    until = serializers.DateField()
    duration_minutes = serializers.IntegerField(min_value=5, max_value=480, default=45)
    kind = serializers.ChoiceField(
        choices=Appointment.Kind.choices, default=Appointment.Kind.TREATMENT
    )
    appointment = VisibleRelated(Appointment, required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)

    def validate_parts_of_day(self, value: list[str]) -> list[int]:
        return [PARTS_OF_DAY[name] for name in value]
