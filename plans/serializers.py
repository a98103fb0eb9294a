"""The plans API's shapes. Goals are written with their plan (the whole list at once, as the
page sends it) and read with it; a movement is its code, as in the session draft."""

from collections.abc import Mapping
from decimal import Decimal

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from outcomes.models import Instrument
from patients.models import BodyRegion, Patient, Side
from sessions.models import Movement
from sessions.serializers import VisibleRelated

from .models import DischargeReason, PlanGoal, PlanOfCare
from .selectors import GoalProgress


class StrictInput(serializers.Serializer):
    """A key the schema does not name is refused, not ignored: a misspelt `target` must not
    sign a plan without its goal."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = {key: [_("Unknown field.")] for key in data.keys() - writable}
            if unknown:
                raise serializers.ValidationError(unknown)
        return super().to_internal_value(data)


class GoalInputSerializer(StrictInput):
    kind = serializers.ChoiceField(choices=PlanGoal.Kind.choices)
    region = serializers.ChoiceField(choices=BodyRegion.choices, required=False, allow_blank=True)
    side = serializers.ChoiceField(choices=Side.choices, required=False, allow_blank=True)
    movement = serializers.SlugRelatedField(
        slug_field="code", queryset=Movement.objects.all(), required=False, allow_null=True
    )
    activity = serializers.CharField(
        max_length=200, required=False, allow_blank=True, trim_whitespace=True
    )
    instrument = serializers.PrimaryKeyRelatedField(
        queryset=Instrument.objects.filter(active=True), required=False, allow_null=True
    )
    target = serializers.DecimalField(
        max_digits=6, decimal_places=1, min_value=Decimal(0), max_value=Decimal(360)
    )


class PlanInputSerializer(StrictInput):
    complaint = serializers.CharField(max_length=4000)
    regions = serializers.ListField(
        child=serializers.ChoiceField(choices=BodyRegion.choices), max_length=23, required=False
    )
    sessions_per_week = serializers.IntegerField(min_value=1, max_value=7)
    weeks = serializers.IntegerField(min_value=1, max_value=52)
    reassess_on = serializers.DateField()
    goals = serializers.ListField(child=GoalInputSerializer(), required=False, max_length=20)


class PlanCreateSerializer(PlanInputSerializer):
    patient = VisibleRelated(Patient)


class PlanReviseSerializer(StrictInput):
    reason = serializers.CharField(max_length=200)


class PlanDischargeSerializer(StrictInput):
    reason = serializers.ChoiceField(choices=DischargeReason.choices)
    note = serializers.CharField(max_length=4000, required=False, allow_blank=True)


class PlanGoalSerializer(serializers.ModelSerializer):
    movement: "serializers.SlugRelatedField[Movement]" = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    # The goal as the pages word it: "NDI 1.0 ≤ 10".
    description = serializers.CharField(source="label", read_only=True)

    class Meta:
        model = PlanGoal
        fields = ["id", "plan", "position", "kind", "region", "side", "movement", "activity",
                  "instrument", "comparator", "target", "description"]  # fmt: skip


class GoalProgressSerializer(serializers.Serializer):
    goal = serializers.IntegerField(source="goal.pk")
    baseline = serializers.FloatField(allow_null=True)
    baseline_at = serializers.DateTimeField(allow_null=True)
    latest = serializers.FloatField(allow_null=True)
    latest_at = serializers.DateTimeField(allow_null=True)
    percent = serializers.IntegerField()
    met = serializers.BooleanField()


class PlanOfCareSerializer(serializers.ModelSerializer):
    goals = PlanGoalSerializer(many=True, read_only=True)

    class Meta:
        model = PlanOfCare
        fields = ["id", "patient", "therapist", "version", "previous", "status", "complaint",
                  "regions", "sessions_per_week", "weeks", "reassess_on", "opened_at",
                  "revision_reason", "signed_at", "signed_by", "discharged_at", "discharged_by",
                  "discharge_reason", "discharge_note", "outcome_summary", "goals"]  # fmt: skip
        read_only_fields = fields


class PlanOfCareDetailSerializer(PlanOfCareSerializer):
    """One plan with each goal's progress and the sessions that belong to it."""

    progress = serializers.SerializerMethodField()
    sessions = serializers.SerializerMethodField()

    class Meta(PlanOfCareSerializer.Meta):
        fields = [*PlanOfCareSerializer.Meta.fields, "progress", "sessions"]
        read_only_fields = fields

    @extend_schema_field(GoalProgressSerializer(many=True))
    def get_progress(self, plan: PlanOfCare) -> list:
        rows: list[GoalProgress] = self.context["progress"]
        return list(GoalProgressSerializer(rows, many=True).data)

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_sessions(self, plan: PlanOfCare) -> list[int]:
        return self.context["sessions"]
