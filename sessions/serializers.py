"""Explicit read and write shapes: reads show the whole record, writes take what the services
take (sessions/services.py)."""

from decimal import Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clinic.permissions import visible
from patients.models import PainScore, Patient

from .models import (
    Addendum,
    MobilityMeasurement,
    Movement,
    Muscle,
    TreatmentSession,
    TriggerPoint,
)

TRIGGER_POINT_FIELDS = [
    "muscle", "side", "chart_view", "x", "y", "kind", "tenderness", "pressure_pain_threshold",
    "referral_pattern", "local_twitch_response", "technique", "hold_seconds", "repetitions",
    "pressure", "released",
]  # fmt: skip
MOBILITY_FIELDS = ["movement", "side", "degrees", "method", "measured_at"]


@extend_schema_field(OpenApiTypes.INT)
class VisibleRelated(serializers.PrimaryKeyRelatedField):
    """A related id the requesting user may see; any other id is refused as if absent."""

    def __init__(self, model, **kwargs):
        self.model = model
        super().__init__(**kwargs)

    def get_queryset(self):
        return visible(self.context["request"].user, self.model)


class AddendumSerializer(serializers.ModelSerializer):
    class Meta:
        model = Addendum
        fields = ["id", "kind", "reason", "text", "author", "created_at"]
        read_only_fields = ["id", "author", "created_at"]


class TreatmentSessionSerializer(serializers.ModelSerializer):
    addenda = AddendumSerializer(many=True, read_only=True)

    class Meta:
        model = TreatmentSession
        fields = [
            "id", "patient", "therapist", "started_at", "duration_minutes", "status",
            "subjective", "objective", "assessment", "plan", "red_flags_acknowledged",
            "signed_at", "signed_by", "created_at", "updated_at", "addenda",
        ]  # fmt: skip
        read_only_fields = fields


class SessionStartSerializer(serializers.Serializer):
    patient = VisibleRelated(Patient)
    started_at = serializers.DateTimeField(required=False)


class TriggerPointItemSerializer(serializers.ModelSerializer):
    muscle = serializers.SlugRelatedField(slug_field="slug", queryset=Muscle.objects.all())
    pressure_pain_threshold = serializers.DecimalField(
        max_digits=4,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal("20"),
        required=False,
        allow_null=True,
        help_text="kg/cm²",
    )

    class Meta:
        model = TriggerPoint
        fields = TRIGGER_POINT_FIELDS


class MobilityItemSerializer(serializers.ModelSerializer):
    movement = serializers.SlugRelatedField(slug_field="code", queryset=Movement.objects.all())
    measured_at = serializers.DateTimeField(required=False)

    class Meta:
        model = MobilityMeasurement
        fields = MOBILITY_FIELDS


class SessionPainItemSerializer(serializers.ModelSerializer):
    recorded_at = serializers.DateTimeField(required=False)

    class Meta:
        model = PainScore
        fields = ["recorded_at", "source", "region", "side", "score", "unable_to_rate"]


class SessionUpdateSerializer(serializers.Serializer):
    """A draft's new state. Each list given replaces the draft's whole set of that kind."""

    started_at = serializers.DateTimeField(required=False)
    duration_minutes = serializers.IntegerField(required=False, min_value=1, max_value=480)
    subjective = serializers.CharField(required=False, allow_blank=True)
    objective = serializers.CharField(required=False, allow_blank=True)
    assessment = serializers.CharField(required=False, allow_blank=True)
    plan = serializers.CharField(required=False, allow_blank=True)
    pain = SessionPainItemSerializer(many=True, required=False)
    trigger_points = TriggerPointItemSerializer(many=True, required=False)
    mobility = MobilityItemSerializer(many=True, required=False)


class SessionSignSerializer(serializers.Serializer):
    acknowledge_red_flags = serializers.BooleanField(default=False)


class TriggerPointSerializer(serializers.ModelSerializer):
    muscle = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    muscle_name = serializers.CharField(source="muscle.name", read_only=True)

    class Meta:
        model = TriggerPoint
        fields = ["id", "session", "muscle_name", *TRIGGER_POINT_FIELDS]
        read_only_fields = fields


class MobilitySerializer(serializers.ModelSerializer):
    movement = serializers.SlugRelatedField(slug_field="code", read_only=True)
    percent_of_normal = serializers.FloatField(read_only=True)

    class Meta:
        model = MobilityMeasurement
        fields = ["id", "patient", "session", *MOBILITY_FIELDS, "percent_of_normal"]
        read_only_fields = fields
