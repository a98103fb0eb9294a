from rest_framework import serializers

from .models import Channel, DurationCategory, IntakeSubmission, PainScore, Patient


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
            "preferred_language",
            "preferred_channel",
            "consents_to_email",
            "consents_to_sms",
            "activity_profile",
            "occupation",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


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
