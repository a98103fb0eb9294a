"""The report API's query parameters and answers (named so the OpenAPI schema documents them)."""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from patients.models import ActivityProfile, BodyRegion, DurationCategory

# A field named `label` or `source` clashes with a Field attribute in the stubs, but DRF takes
# declared fields off the class: hence the narrow `type: ignore[assignment]` on those below.
DEFAULT_PERIOD_DAYS = 365
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(9000, 1, 1)


class ReportQuerySerializer(serializers.Serializer):
    """A period in the clinic's dates (both days included; the last year by default) and the
    dashboard's filters."""

    clinic = serializers.SlugField(
        required=False, help_text="A clinic's slug; defaults to your first clinic by name."
    )
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    therapist = serializers.IntegerField(required=False, min_value=1)
    cohort = serializers.ChoiceField(choices=ActivityProfile.choices, required=False)
    duration = serializers.ChoiceField(choices=DurationCategory.choices, required=False)
    region = serializers.ChoiceField(choices=BodyRegion.choices, required=False)

    def validate(self, attrs):
        # Each day in range first: the default period is counted back from `date_to`, and a
        # year-1 date would overflow there.
        for name in ("date_from", "date_to"):
            day = attrs.get(name)
            if day is not None and not FIRST_DAY <= day <= LAST_DAY:
                raise serializers.ValidationError({name: [_("Out of the range reports cover.")]})
        attrs.setdefault("date_to", timezone.localdate())
        attrs.setdefault("date_from", attrs["date_to"] - dt.timedelta(days=DEFAULT_PERIOD_DAYS))
        if attrs["date_from"] > attrs["date_to"]:
            inverted = _("The period starts after it ends: pick a start on or before the end.")
            raise serializers.ValidationError({"date_from": [inverted]})
        return attrs


class OutcomeFiguresSerializer(serializers.Serializer):
    patients = serializers.IntegerField()
    courses = serializers.IntegerField(help_text="Patient-region courses with a baseline.")
    evaluated = serializers.IntegerField(help_text="Courses with a later score, baseline >= 2.")
    excluded_low_baseline = serializers.IntegerField(help_text="Baseline 0 or 1: left out.")
    mean_baseline = serializers.FloatField(allow_null=True)
    mean_latest = serializers.FloatField(allow_null=True)
    mean_change = serializers.FloatField(allow_null=True)
    percent_change = serializers.FloatField(allow_null=True)
    responders = serializers.IntegerField()
    responder_rate = serializers.FloatField(allow_null=True)


class MonthOutcomeSerializer(OutcomeFiguresSerializer):
    month = serializers.CharField(help_text="YYYY-MM, in the clinic's time zone.")


class TherapistOutcomeSerializer(OutcomeFiguresSerializer):
    therapist = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()


class CohortOutcomeSerializer(OutcomeFiguresSerializer):
    cohort = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]


class ClinicOutcomesSerializer(serializers.Serializer):
    total = OutcomeFiguresSerializer()
    by_month = MonthOutcomeSerializer(many=True)
    by_therapist = TherapistOutcomeSerializer(many=True)
    by_cohort = CohortOutcomeSerializer(many=True)
    responder_min_points = serializers.IntegerField()
    responder_min_percent = serializers.IntegerField()


class MuscleSerializer(serializers.Serializer):
    muscle = serializers.CharField()
    muscle_name = serializers.CharField()
    region = serializers.CharField()
    found = serializers.IntegerField(help_text="Trigger points recorded, one per session.")
    released = serializers.IntegerField()
    share_released = serializers.FloatField()
    points = serializers.IntegerField(help_text="Distinct points (patient, muscle, side).")
    patients = serializers.IntegerField()
    points_released = serializers.IntegerField()
    mean_sessions_to_release = serializers.FloatField(allow_null=True)


class CurvePointSerializer(serializers.Serializer):
    source = serializers.CharField()  # type: ignore[assignment]
    label = serializers.CharField()  # type: ignore[assignment]
    mean = serializers.FloatField(allow_null=True)


class CheckInCurveSerializer(serializers.Serializer):
    sessions = serializers.IntegerField()
    regions = serializers.IntegerField()
    points = CurvePointSerializer(many=True)


class PsfsChangeSerializer(serializers.Serializer):
    patients = serializers.IntegerField()
    mean_baseline = serializers.FloatField(allow_null=True)
    mean_latest = serializers.FloatField(allow_null=True)
    mean_change = serializers.FloatField(allow_null=True)
    improved = serializers.IntegerField()
    improved_rate = serializers.FloatField(allow_null=True)
    min_points = serializers.IntegerField()


class InstrumentFiguresSerializer(serializers.Serializer):
    patients = serializers.IntegerField()
    mean_baseline = serializers.FloatField(allow_null=True)
    mean_latest = serializers.FloatField(allow_null=True)
    mean_change = serializers.FloatField(allow_null=True, help_text="latest - baseline")
    mean_percent_change = serializers.FloatField(
        allow_null=True,
        help_text="mean of 100 x (latest - baseline) / baseline; baseline 0 left out",
    )
    responders = serializers.IntegerField(help_text="improved by at least the MCID")
    responder_rate = serializers.FloatField(allow_null=True)


class InstrumentGroupSerializer(InstrumentFiguresSerializer):
    key = serializers.CharField(help_text="therapist id, cohort or body region")


class InstrumentChangeSerializer(serializers.Serializer):
    code = serializers.CharField()
    version = serializers.CharField()
    name = serializers.CharField()
    direction = serializers.ChoiceField(choices=["higher_better", "higher_worse"])
    mcid = serializers.FloatField()
    total = InstrumentFiguresSerializer()
    therapist = InstrumentGroupSerializer(many=True)
    cohort = InstrumentGroupSerializer(many=True)
    region = InstrumentGroupSerializer(many=True)


class RomChangeSerializer(serializers.Serializer):
    movement = serializers.CharField()
    joint = serializers.CharField()
    name = serializers.CharField()
    normal_degrees = serializers.IntegerField()
    measured = serializers.IntegerField(help_text="Patient-sides measured at least twice.")
    patients = serializers.IntegerField()
    mean_first = serializers.FloatField()
    mean_latest = serializers.FloatField()
    mean_change = serializers.FloatField()
    first_percent_of_normal = serializers.FloatField()
    latest_percent_of_normal = serializers.FloatField()


class PainPointSerializer(serializers.Serializer):
    recorded_at = serializers.DateTimeField()
    source = serializers.CharField()  # type: ignore[assignment]
    region = serializers.CharField()
    side = serializers.CharField()
    score = serializers.IntegerField()
    session_id = serializers.IntegerField(allow_null=True)


class InstrumentPointSerializer(serializers.Serializer):
    code = serializers.CharField()
    version = serializers.CharField()
    taken_at = serializers.DateTimeField()
    score = serializers.DecimalField(max_digits=7, decimal_places=2)
    direction = serializers.ChoiceField(choices=["higher_better", "higher_worse"])
    mcid = serializers.DecimalField(max_digits=6, decimal_places=2)


class MobilityPointSerializer(serializers.Serializer):
    measured_at = serializers.DateTimeField()
    side = serializers.CharField()
    degrees = serializers.IntegerField()
    session_id = serializers.IntegerField()
    movement_code = serializers.CharField()
    movement_name = serializers.CharField()
    joint = serializers.CharField()
    normal_degrees = serializers.IntegerField()
    percent_of_normal = serializers.FloatField()


class TherapistUtilisationSerializer(serializers.Serializer):
    therapist = serializers.IntegerField()
    name = serializers.CharField()
    booked_hours = serializers.FloatField(help_text="Appointments but the cancelled.")
    working_hours = serializers.FloatField(
        allow_null=True, help_text="Weekly hours less exceptions; null: hours not kept."
    )
    utilisation = serializers.FloatField(allow_null=True, help_text="Booked / working, %.")


class OperationsSerializer(serializers.Serializer):
    appointments = serializers.IntegerField(help_text="Starting in the period, every status.")
    attended = serializers.IntegerField(help_text="Arrived, in treatment or completed.")
    no_shows = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    cancelled_late = serializers.IntegerField(help_text="Within the clinic's window.")
    rebooked = serializers.IntegerField(
        help_text="Attended, with a later appointment booked before the patient left."
    )
    patients_seen = serializers.IntegerField()
    new_patients = serializers.IntegerField(help_text="No visit before the period.")
    returning_patients = serializers.IntegerField()
    no_show_rate = serializers.FloatField(allow_null=True, help_text="% of attended + no-shows.")
    late_cancellation_rate = serializers.FloatField(
        allow_null=True, help_text="% of all appointments."
    )
    rebooking_rate = serializers.FloatField(allow_null=True, help_text="% of attended.")
    late_cancellation_hours = serializers.IntegerField()
    by_therapist = TherapistUtilisationSerializer(many=True)
