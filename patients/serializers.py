from rest_framework import serializers

from .models import Channel, DurationCategory, IntakeSubmission, PainScore, Patient
from .services import REGISTRATION_FIELDS


class PatientSerializer(serializers.ModelSerializer):
    """Registration data only: what front desk types in. Clinical content has its own endpoints."""

    # Declared so the schema says "" is a value: DRF drops allow_blank on read-only fields.
    preferred_channel = serializers.ChoiceField(Channel.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Patient
        fields = [
            "id",
            "first_name",
            "last_name",
            "date_of_birth",
            "email",
            "phone",
            "phone_other",
            "preferred_language",
            "preferred_channel",
            "consents_to_email",
            "consents_to_sms",
            "emergency_contact_name",
            "emergency_contact_phone",
            "emergency_contact_relation",
            "staff_note",
            "activity_profile",
            "occupation",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PatientWriteSerializer(serializers.ModelSerializer):
    """The body of POST /patients/ and PATCH /patients/{id}/: the registration fields (the
    service validates them further: date of birth, consent, duplicates)."""

    confirm_duplicate = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Write even though registered patients may be the same person.",
    )
    clinic = serializers.SlugField(
        required=False,
        write_only=True,
        help_text="Registering: the clinic's slug (default: the first of yours by name).",
    )

    class Meta:
        model = Patient
        fields = [*REGISTRATION_FIELDS, "confirm_duplicate", "clinic"]

    def service_arguments(self) -> tuple[dict, bool, str | None]:
        """The fields given, whether duplicates are confirmed, and the clinic named."""
        data = dict(self.validated_data)
        confirm = data.pop("confirm_duplicate", False)
        clinic = data.pop("clinic", None)
        return data, confirm, clinic


class DuplicateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Patient
        fields = ["id", "first_name", "last_name", "date_of_birth", "phone", "email"]
        read_only_fields = fields


class DuplicatesAnswerSerializer(serializers.Serializer):
    """400: per-field messages, or `duplicates` when registered patients may be the same person
    (send `confirm_duplicate: true` to write anyway)."""

    duplicates = DuplicateSerializer(many=True, required=False)


class IntakeSerializer(serializers.ModelSerializer):
    duration_category = serializers.ChoiceField(
        DurationCategory.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = IntakeSubmission
        fields = [
            "id",
            "patient",
            "status",
            "submitted_at",
            "chief_complaint",
            "onset_date",
            "duration_category",
            "red_flags",
            "medications",
            "takes_anticoagulants",
            "goals",
            "consent_to_treatment",
            "consent_to_reminders",
            "signed_at",
            "reviewed_at",
            "red_flags_cleared_at",
            "created_at",
        ]
        read_only_fields = fields


class PainScoreSerializer(serializers.ModelSerializer):
    class Meta:
        model = PainScore
        fields = [
            "id",
            "patient",
            "session",
            "recorded_at",
            "source",
            "region",
            "side",
            "score",
            "unable_to_rate",
        ]
        read_only_fields = fields
