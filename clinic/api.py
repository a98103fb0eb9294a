"""The REST API's URL map: /api/v1/ resources and reports, /api/schema/ and /api/docs/."""

from django.contrib.auth import authenticate
from django.urls import include, path
from drf_spectacular.utils import extend_schema, inline_serializer
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.views import APIView

from clinic import second_factor
from clinic.audit import audit_record
from clinic.middleware import allows_inline_styles
from clinic.models import AuditEvent
from patients import api as patients_api
from reports import api as reports_api
from sessions import api as sessions_api

router = DefaultRouter()
router.register("patients", patients_api.PatientViewSet, basename="patient")
router.register("intakes", patients_api.IntakeViewSet, basename="intake")
router.register("pain-scores", patients_api.PainScoreViewSet, basename="pain-score")
router.register("sessions", sessions_api.TreatmentSessionViewSet, basename="session")
router.register("trigger-points", sessions_api.TriggerPointViewSet, basename="trigger-point")
router.register("mobility", sessions_api.MobilityViewSet, basename="mobility")
router.register("follow-ups", sessions_api.FollowUpViewSet, basename="follow-up")
router.register("reminders", sessions_api.ReminderViewSet, basename="reminder")

reports = [
    path("outcomes/", reports_api.ClinicOutcomesView.as_view(), name="report-outcomes"),
    path(
        "trigger-points/",
        reports_api.TriggerPointReportView.as_view(),
        name="report-trigger-points",
    ),
    path("check-in-curve/", reports_api.CheckInCurveView.as_view(), name="report-check-in-curve"),
    path("psfs/", reports_api.PsfsChangeView.as_view(), name="report-psfs"),
    path("rom/", reports_api.RomChangeView.as_view(), name="report-rom"),
    path(
        "patients/<int:patient_id>/pain-trend/",
        reports_api.PatientPainTrendView.as_view(),
        name="report-pain-trend",
    ),
    path(
        "patients/<int:patient_id>/mobility-trend/",
        reports_api.PatientMobilityTrendView.as_view(),
        name="report-mobility-trend",
    ),
]


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, style={"input_type": "password"})
    code = serializers.CharField(max_length=12, help_text="The authenticator app's 6 digits.")


class TokenView(APIView):
    """POST /api/v1/auth/token/: an API token for a staff member, against the same password
    lockout and authenticator code as the sign-in page (no path around the second factor)."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: inline_serializer("Token", {"token": serializers.CharField()})},
        auth=[],
    )
    def post(self, request):
        given = TokenRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        user = authenticate(request, username=data["username"], password=data["password"])
        if user is None:
            raise serializers.ValidationError(
                {"non_field_errors": ["Unable to sign in with these credentials."]}
            )
        if not second_factor.code_verify(user=user, code=data["code"]):
            raise serializers.ValidationError({"code": ["That code did not work."]})
        audit_record(action=AuditEvent.Action.LOGIN, actor=user, actor_label=user.get_username())
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


urlpatterns = [
    path("v1/auth/token/", TokenView.as_view(), name="api-token"),
    path("v1/reports/", include(reports)),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file: the page runs under the CSP.
    path(
        "docs/",
        allows_inline_styles(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
]
