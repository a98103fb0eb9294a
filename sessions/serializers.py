"""Explicit read and write shapes: reads show the whole record, writes take what the services
take (sessions/services.py)."""

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import api_settings

from clinic.permissions import visible
from patients.models import BodyRegion, PainScore, Patient, Side

from .models import (
    MAX_REFERRAL_REGIONS,
    Addendum,
    MobilityMeasurement,
    Movement,
    Muscle,
    PerpetuatingFactor,
    PointCorrection,
    ReferenceThreshold,
    ReferralZone,
    TreatmentSession,
    TriggerPoint,
)

TRIGGER_POINT_FIELDS = [
    "muscle",
    "side",
    "chart_view",
    "x",
    "y",
    "kind",
    "tenderness",
    "pressure_pain_threshold",
    "referral_pattern",
    "referral_regions",
    "local_twitch_response",
    "technique",
    "hold_seconds",
    "repetitions",
    "pressure",
    "released",
]
MOBILITY_FIELDS = ["movement", "side", "degrees", "method", "measured_at"]
MAX_DRAFT_ITEMS = 200
UNRATED = _("Rate 0-10, or tick “unable to rate”.")


@extend_schema_field(OpenApiTypes.INT)
class VisibleRelated(serializers.PrimaryKeyRelatedField):
    """A related id the requesting user may see; any other id is refused as if absent."""

    def __init__(self, model, **kwargs):
        self.model = model
        super().__init__(**kwargs)

    def get_queryset(self):
        return visible(self.context["request"].user, self.model)


class PointCorrectionSerializer(serializers.ModelSerializer):
    """One point an addendum corrects: the point's id (of the same note) and the muscle, side
    or scores it should have had; what is left out stays as recorded."""

    # An id, not a related field: a point of another note (or clinic) gets the service's one
    # answer, whether or not it exists.
    trigger_point = serializers.IntegerField(source="trigger_point_id")
    muscle = serializers.SlugRelatedField(
        slug_field="slug", queryset=Muscle.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = PointCorrection
        fields = ["trigger_point", "muscle", "side", "tenderness", "pressure"]

    def validate(self, attrs):
        # The service's key (it takes a point or its id).
        attrs["trigger_point"] = attrs.pop("trigger_point_id")
        return attrs


class AddendumSerializer(serializers.ModelSerializer):
    # The stubs lack `max_length`, which DRF's `many=True` passes to its ListSerializer.
    corrections = PointCorrectionSerializer(  # type: ignore[call-arg]
        many=True, required=False, max_length=MAX_DRAFT_ITEMS
    )

    class Meta:
        model = Addendum
        fields = ["id", "kind", "reason", "text", "author", "created_at", "corrections"]
        read_only_fields = ["id", "author", "created_at"]


class TreatmentSessionSerializer(serializers.ModelSerializer):
    addenda = AddendumSerializer(many=True, read_only=True)

    class Meta:
        model = TreatmentSession
        fields = [
            "id",
            "patient",
            "therapist",
            "started_at",
            "duration_minutes",
            "status",
            "subjective",
            "objective",
            "assessment",
            "plan",
            "red_flags_acknowledged",
            "signed_at",
            "signed_by",
            "discarded_at",
            "discarded_by",
            "created_at",
            "updated_at",
            "addenda",
        ]
        read_only_fields = fields


class SessionStartSerializer(serializers.Serializer):
    patient = VisibleRelated(Patient)
    started_at = serializers.DateTimeField(required=False)
    another = serializers.BooleanField(
        default=False,
        help_text="Start another session although this therapist has an open draft for the "
        "patient (by default that draft is continued).",
    )


if TYPE_CHECKING:
    _Serializer = serializers.Serializer
else:
    _Serializer = object  # a mixin: the serializer comes after it in the bases


class DraftInput(_Serializer):
    """The draft's input rules, shared by the API and the recording page: a key the schema
    does not name is refused ("Unknown field.") rather than ignored; text columns store "" for
    nothing and every other empty input means "not measured" (null)."""

    def to_internal_value(self, data):
        if not isinstance(data, Mapping):
            return super().to_internal_value(data)
        writable = {name for name, field in self.fields.items() if not field.read_only}
        unknown = {key: [_("Unknown field.")] for key in data.keys() - writable}
        try:
            value = super().to_internal_value(self._emptied(data))
        except serializers.ValidationError as exc:
            # A mapping's errors are a dict (the stubs also allow a list).
            detail: dict = exc.detail  # type: ignore[assignment]
            raise serializers.ValidationError({**detail, **unknown}) from exc
        if unknown:
            raise serializers.ValidationError(unknown)
        return value

    def _emptied(self, data: Mapping) -> dict:
        def empty(field, value):
            if isinstance(field, serializers.CharField):
                return "" if value is None else value
            return None if value == "" else value

        return {
            key: empty(self.fields[key], value) for key, value in data.items() if key in self.fields
        }


class ReferralRegionSerializer(serializers.Serializer):
    """A region the patient says a pressed point sends the pain to, on the chart's vocabulary."""

    region = serializers.ChoiceField(choices=BodyRegion.choices)
    side = serializers.ChoiceField(choices=Side.choices)


class TriggerPointItemSerializer(DraftInput, serializers.ModelSerializer):
    muscle = serializers.SlugRelatedField(slug_field="slug", queryset=Muscle.objects.all())
    # The stubs lack `max_length`, which DRF's `many=True` passes to its ListSerializer.
    referral_regions = ReferralRegionSerializer(  # type: ignore[call-arg]
        many=True, required=False, max_length=MAX_REFERRAL_REGIONS
    )
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


class MobilityItemSerializer(DraftInput, serializers.ModelSerializer):
    movement = serializers.SlugRelatedField(slug_field="code", queryset=Movement.objects.all())
    measured_at = serializers.DateTimeField(required=False)

    class Meta:
        model = MobilityMeasurement
        fields = MOBILITY_FIELDS


class SessionPainItemSerializer(DraftInput, serializers.ModelSerializer):
    recorded_at = serializers.DateTimeField(required=False)

    class Meta:
        model = PainScore
        fields = ["recorded_at", "source", "region", "side", "score", "unable_to_rate"]

    def validate(self, attrs):
        # "Unable to rate" is its own answer; a row with neither is unfinished, not a zero.
        attrs["unable_to_rate"] = bool(attrs.get("unable_to_rate"))
        if attrs["unable_to_rate"]:
            attrs["score"] = None
        elif attrs.get("score") is None:
            raise serializers.ValidationError(
                {"score": [_("Rate 0-10, or tick “unable to rate”.")]}
            )
        return attrs


class FactorListField(serializers.ListField):
    """The perpetuating factors found in the session, by code, each once (the order kept)."""

    child = serializers.ChoiceField(choices=PerpetuatingFactor.choices)
    max_length = len(PerpetuatingFactor.choices)

    def to_internal_value(self, data):
        return list(dict.fromkeys(super().to_internal_value(data)))

    def to_representation(self, data):
        # The session's `factors` are its SessionFactor rows.
        rows = data.all() if hasattr(data, "all") else data
        return [getattr(row, "factor", row) for row in rows]


class ReferenceThresholdItemSerializer(DraftInput, serializers.ModelSerializer):
    """A pressure-pain threshold at a reference site (no trigger point), in kg/cm²."""

    muscle = serializers.SlugRelatedField(slug_field="slug", queryset=Muscle.objects.all())
    pressure_pain_threshold = serializers.DecimalField(
        max_digits=4,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal("20"),
        help_text="kg/cm²",
    )

    class Meta:
        model = ReferenceThreshold
        fields = ["muscle", "side", "pressure_pain_threshold"]


DRAFT_LISTS = {
    "pain": "pain_scores",
    "trigger_points": "trigger_points",
    "mobility": "mobility",
    "factors": "factors",
    "reference_thresholds": "reference_thresholds",
}


class SessionDraftSerializer(DraftInput, serializers.Serializer):
    """A draft's state: the one schema of `PATCH /api/v1/sessions/<id>/`, of the recording
    page's autosave (`POST /sessions/<id>/draft`) and of the state the page starts from. A muscle
    is its slug and a movement its code (stable across databases). Each list given replaces the
    draft's whole set of that kind; an empty duration leaves the duration as it is."""

    started_at = serializers.DateTimeField(required=False)
    duration_minutes = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=480
    )
    subjective = serializers.CharField(required=False, allow_blank=True)
    objective = serializers.CharField(required=False, allow_blank=True)
    assessment = serializers.CharField(required=False, allow_blank=True)
    plan = serializers.CharField(required=False, allow_blank=True)
    # The stubs lack `max_length`, which DRF's `many=True` passes to its ListSerializer.
    pain = SessionPainItemSerializer(  # type: ignore[call-arg]
        many=True, required=False, max_length=MAX_DRAFT_ITEMS, source="pain_scores"
    )
    trigger_points = TriggerPointItemSerializer(  # type: ignore[call-arg]
        many=True, required=False, max_length=MAX_DRAFT_ITEMS
    )
    mobility = MobilityItemSerializer(many=True, required=False, max_length=MAX_DRAFT_ITEMS)  # type: ignore[call-arg]
    factors = FactorListField(required=False)
    reference_thresholds = ReferenceThresholdItemSerializer(  # type: ignore[call-arg]
        many=True, required=False, max_length=MAX_DRAFT_ITEMS
    )

    def validate_reference_thresholds(self, value: list[dict]) -> list[dict]:
        sites = [(item["muscle"].pk, item["side"]) for item in value]
        if len(set(sites)) < len(sites):
            raise serializers.ValidationError(
                _("Each reference site and side is measured once per session.")
            )
        return value

    def service_arguments(self) -> dict:
        """The keyword arguments of `services.session_update` (besides session and user)."""
        fields = dict(self.validated_data)
        lists = {name: fields.pop(source, None) for name, source in DRAFT_LISTS.items()}
        if fields.get("duration_minutes") is None:
            fields.pop("duration_minutes", None)
        return {"fields": fields, **lists}


def draft_errors(errors, prefix: str = "") -> dict[str, list[str]]:
    """The page's per-field messages: DRF's nested errors flattened to dotted keys
    (`trigger_points.2.tenderness`), errors about the whole body under `__all__`."""
    if isinstance(errors, list) and errors and not isinstance(errors[0], dict | list):
        return {prefix or "__all__": [str(message) for message in errors]}
    items = errors.items() if isinstance(errors, dict) else enumerate(errors)
    flat: dict[str, list[str]] = {}
    for key, value in items:
        name = "" if key == api_settings.NON_FIELD_ERRORS_KEY else str(key)
        flat |= draft_errors(value, f"{prefix}.{name}".strip(".") if name else prefix)
    return flat


class SessionSignSerializer(serializers.Serializer):
    acknowledge_red_flags = serializers.BooleanField(default=False)


class TriggerPointSerializer(serializers.ModelSerializer):
    muscle: "serializers.SlugRelatedField[Muscle]" = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    muscle_name = serializers.CharField(source="muscle.name", read_only=True)
    referral_regions = ReferralRegionSerializer(many=True, read_only=True)

    class Meta:
        model = TriggerPoint
        fields = ["id", "session", "muscle_name", *TRIGGER_POINT_FIELDS]
        read_only_fields = fields


class MobilitySerializer(serializers.ModelSerializer):
    movement: "serializers.SlugRelatedField[Movement]" = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    percent_of_normal = serializers.FloatField(read_only=True)

    class Meta:
        model = MobilityMeasurement
        fields = ["id", "patient", "session", *MOBILITY_FIELDS, "percent_of_normal"]
        read_only_fields = fields


class ReferralZoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReferralZone
        fields = ["region", "side_relation", "essential", "source"]
        read_only_fields = fields


class MuscleAtlasSerializer(serializers.ModelSerializer):
    """A catalogued muscle with its referral zones (the atlas)."""

    referral_zones = ReferralZoneSerializer(many=True, read_only=True)

    class Meta:
        model = Muscle
        fields = ["slug", "name", "region", "chart_view", "snomed_code", "referral_zones"]
        read_only_fields = fields


class PainfulRegionSerializer(serializers.Serializer):
    region = serializers.ChoiceField(choices=BodyRegion.choices)
    side = serializers.ChoiceField(choices=Side.choices)
    score = serializers.IntegerField(min_value=1, max_value=10)
    label = serializers.CharField()  # type: ignore[assignment]


class SuggestionReasonSerializer(PainfulRegionSerializer):
    essential = serializers.BooleanField(
        help_text="The painful region is in one of the muscle's essential zones (else spill-over)."
    )


class PalpationSuggestionSerializer(serializers.Serializer):
    muscle = serializers.SlugField()
    muscle_name = serializers.CharField()
    side = serializers.ChoiceField(choices=Side.choices, help_text="The side to palpate.")
    side_label = serializers.CharField()
    score = serializers.FloatField(
        help_text="Sum over the painful regions covered of the pain score times the zone's "
        "weight (essential 1, spill-over PALPATION_SPILLOVER_WEIGHT)."
    )
    reasons = SuggestionReasonSerializer(many=True)
    why = serializers.CharField()


class PalpationSuggestionsSerializer(serializers.Serializer):
    """ "Check these first": the pain map the session starts from and the muscles ranked."""

    pain = PainfulRegionSerializer(many=True)
    suggestions = PalpationSuggestionSerializer(many=True)
