"""Trigger-point trends in the API (issue 17): a patient's pressure-pain thresholds, the
sessions-to-release forecast of each of their points, the n-of-1 comparison of techniques, and
a clinic's stored forecasts. Clinical staff only; another clinic's patient is 404."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic.models import Clinic
from clinic.permissions import access_for
from clinic.replica import ReplicaReads
from clinic.rest import ReadsClinical
from clinic.selectors import clinic_resolve
from clinic.types import StaffApiRequest
from patients.models import BodyRegion, DurationCategory, Side
from sessions.forecasts import clinic_forecasts, patient_point_forecasts
from sessions.models import Muscle, Technique, TriggerPoint
from sessions.trends import MIN_SESSIONS_PER_TECHNIQUE, n_of_1, ppt_trends

from .api import clinical_patient

CHRONICITY = [*DurationCategory.choices, ("unknown", "No intake")]


class PptValueSerializer(serializers.Serializer):
    session = serializers.IntegerField()
    at = serializers.IntegerField(help_text="The session's start, in seconds since the epoch.")
    ppt = serializers.FloatField(help_text="kg/cm²")
    change_from_first = serializers.FloatField()
    change_from_previous = serializers.FloatField(allow_null=True)
    real_change_from_first = serializers.BooleanField(
        help_text="Beyond the clinic's minimal detectable change."
    )
    real_change_from_previous = serializers.BooleanField()


class PptSeriesSerializer(serializers.Serializer):
    muscle = serializers.SlugField()
    muscle_name = serializers.CharField()
    side = serializers.ChoiceField(choices=Side.choices)
    site = serializers.ChoiceField(
        choices=[("point", "Trigger point"), ("reference", "Reference site")]
    )
    values = PptValueSerializer(many=True)


class PptComparisonSerializer(serializers.Serializer):
    muscle = serializers.SlugField()
    muscle_name = serializers.CharField()
    side = serializers.ChoiceField(choices=Side.choices)
    latest = serializers.FloatField()
    change_from_first = serializers.FloatField()
    real_change_from_first = serializers.BooleanField()
    other_side_difference = serializers.FloatField(allow_null=True)
    other_side_real = serializers.BooleanField()
    reference_difference = serializers.FloatField(allow_null=True)
    reference_real = serializers.BooleanField()


class PptTrendSerializer(serializers.Serializer):
    unit = serializers.CharField()
    minimal_detectable_change = serializers.FloatField()
    reference_muscle = serializers.CharField()
    series = PptSeriesSerializer(many=True)
    comparisons = PptComparisonSerializer(many=True)


class ForecastSerializer(serializers.Serializer):
    level = serializers.IntegerField(
        help_text="3 muscle+kind+chronicity, 2 muscle+kind, 1 muscle, 0 the whole clinic."
    )
    basis = serializers.CharField()
    points = serializers.IntegerField()
    median = serializers.IntegerField(allow_null=True)
    q25 = serializers.IntegerField(allow_null=True)
    q75 = serializers.IntegerField(allow_null=True)
    p80 = serializers.IntegerField(allow_null=True)


class PointForecastSerializer(serializers.Serializer):
    muscle = serializers.SlugField()
    muscle_name = serializers.CharField()
    side = serializers.ChoiceField(choices=Side.choices)
    kind = serializers.ChoiceField(choices=TriggerPoint.Kind.choices)
    chronicity = serializers.ChoiceField(choices=CHRONICITY)
    sessions = serializers.IntegerField(help_text="Sessions the point was found in so far.")
    released_at_session = serializers.IntegerField(allow_null=True)
    forecast = ForecastSerializer(allow_null=True)
    not_responding = serializers.BooleanField(
        help_text="Unreleased after the clinic's 80th percentile of sessions to release."
    )


class NOf1Serializer(serializers.Serializer):
    region = serializers.ChoiceField(choices=BodyRegion.choices)
    technique = serializers.ChoiceField(choices=Technique.choices)
    sessions = serializers.IntegerField()
    mean_relief = serializers.FloatField(help_text="Pain before the session minus at check-in.")
    lowest_relief = serializers.FloatField()
    highest_relief = serializers.FloatField()


class NOf1AnswerSerializer(serializers.Serializer):
    label = serializers.CharField()  # type: ignore[assignment]
    min_sessions = serializers.IntegerField()
    techniques = NOf1Serializer(many=True)


class ForecastQuerySerializer(serializers.Serializer):
    clinic = serializers.SlugField(required=False)
    muscle = serializers.SlugRelatedField(
        slug_field="slug", queryset=Muscle.objects.all(), required=False
    )
    kind = serializers.ChoiceField(choices=TriggerPoint.Kind.choices, required=False)
    chronicity = serializers.ChoiceField(choices=CHRONICITY, required=False)


class ClinicForecastSerializer(serializers.Serializer):
    level = serializers.IntegerField()
    muscle_slug = serializers.SlugField(allow_null=True)
    kind = serializers.CharField()
    chronicity = serializers.CharField()
    points = serializers.IntegerField()
    released = serializers.IntegerField()
    median = serializers.IntegerField(allow_null=True)
    q25 = serializers.IntegerField(allow_null=True)
    q75 = serializers.IntegerField(allow_null=True)
    p80 = serializers.IntegerField(allow_null=True)
    computed_at = serializers.DateTimeField()


@extend_schema(responses=PptTrendSerializer)
class PatientPptTrendView(ReplicaReads, APIView):
    """Pressure-pain thresholds per point (muscle and side) over sessions, with the reference
    site; each change marked real only beyond the clinic's minimal detectable change."""

    permission_classes = [ReadsClinical]

    def get(self, request: StaffApiRequest, patient_id: int):
        patient = clinical_patient(user=request.user, patient_id=patient_id)
        return Response(PptTrendSerializer(ppt_trends(patient=patient)).data)


@extend_schema(responses=PointForecastSerializer(many=True))
class PatientReleaseForecastView(ReplicaReads, APIView):
    """Each of the patient's points with its sessions-to-release forecast (Kaplan-Meier over
    the clinic's own history) and the "not responding" flag."""

    permission_classes = [ReadsClinical]

    def get(self, request: StaffApiRequest, patient_id: int):
        patient = clinical_patient(user=request.user, patient_id=patient_id)
        points = [point.as_dict() for point in patient_point_forecasts(patient=patient)]
        return Response(PointForecastSerializer(points, many=True).data)


@extend_schema(responses=NOf1AnswerSerializer)
class PatientNOf1View(ReplicaReads, APIView):
    """What works for this patient: check-in relief per technique and region, for techniques
    used in at least three sessions on the region. An n-of-1 comparison, not a trial."""

    permission_classes = [ReadsClinical]

    def get(self, request: StaffApiRequest, patient_id: int):
        patient = clinical_patient(user=request.user, patient_id=patient_id)
        answer = {
            "label": "n-of-1 comparison (one patient's sessions), not a trial",
            "min_sessions": MIN_SESSIONS_PER_TECHNIQUE,
            "techniques": n_of_1(patient=patient),
        }
        return Response(NOf1AnswerSerializer(answer).data)


@extend_schema(parameters=[ForecastQuerySerializer], responses=ClinicForecastSerializer(many=True))
class ClinicReleaseForecastView(ReplicaReads, APIView):
    """A clinic's stored sessions-to-release forecasts (rebuilt nightly), finest groups first."""

    permission_classes = [ReadsClinical]

    def get(self, request: StaffApiRequest):
        query = ForecastQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        try:
            clinic = clinic_resolve(user=request.user, slug=params.get("clinic"))
        except Clinic.DoesNotExist:
            raise Http404 from None
        if not access_for(request.user).may_read_clinical(clinic.pk):
            raise Http404
        rows = clinic_forecasts(
            clinic_id=clinic.pk,
            chronicity=params.get("chronicity"),
            muscle_id=params["muscle"].pk if "muscle" in params else None,
            kind=params.get("kind"),
        )
        return Response(ClinicForecastSerializer(rows, many=True).data)
