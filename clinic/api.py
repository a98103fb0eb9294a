"""The REST API's URL map: /api/v1/ resources and reports, /api/schema/ and /api/docs/."""

from django.conf import settings
from django.contrib.auth import authenticate, logout
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.views import APIView

from clinic import second_factor
from clinic.addresses import client_ip
from clinic.api_tokens import api_token_issue, api_token_revoke
from clinic.auth import Step, lock_remaining
from clinic.middleware import allows_inline_styles
from clinic.models import ApiToken
from clinic.permissions import access_for
from clinic.throttle import code_lock_message, too_many_attempts
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


THROTTLED = OpenApiResponse(
    inline_serializer("Throttled", {"detail": serializers.CharField()}),
    description="Too many failed sign-ins from this address, or this account is locked; "
    "the Retry-After header says for how many seconds.",
)


class TokenView(APIView):
    """POST /api/v1/auth/token/: a new API token for a staff member, against the same locks,
    throttles and authenticator code as the sign-in page (no path around the second factor)."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: inline_serializer(
                "Token",
                {
                    "token": serializers.CharField(),
                    "expires_at": serializers.DateTimeField(),
                    "idle_minutes": serializers.IntegerField(),
                },
            ),
            429: THROTTLED,
        },
        auth=[],
    )
    def post(self, request):
        given = TokenRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        wait = lock_remaining(data["username"], Step.PASSWORD)
        if wait:
            return too_many_attempts(request, wait)
        user = authenticate(request, username=data["username"], password=data["password"])
        if user is None:
            raise serializers.ValidationError(
                {"non_field_errors": ["Unable to sign in with these credentials."]}
            )
        wait = lock_remaining(user.get_username(), Step.CODE)
        if wait:
            return too_many_attempts(request, wait, message=code_lock_message())
        if not second_factor.code_verify(user=user, code=data["code"]):
            raise serializers.ValidationError({"code": ["That code did not work."]})
        token, key = api_token_issue(user=user, actor=user, ip=client_ip(request))
        return Response(
            {
                "token": key,
                "expires_at": token.expires_at,
                "idle_minutes": settings.API_TOKEN_IDLE_MINUTES,
            }
        )


class SignOutView(APIView):
    """POST /api/v1/auth/logout/: ends the token this request was made with (other tokens of the
    same person stay: each integration signs out on its own); a browser session is signed out."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        if isinstance(request.auth, ApiToken):
            api_token_revoke(
                token=request.auth, actor=request.user, reason=ApiToken.Reason.SIGNED_OUT
            )
        else:
            logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class IsStaffMember(BasePermission):
    """Signed in (a session past its second factor, or a token) and working in a clinic."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(
            user and user.is_authenticated and (access_for(user).clinic_ids or user.is_staff)
        )


urlpatterns = [
    path("v1/auth/token/", TokenView.as_view(), name="api-token"),
    path("v1/auth/logout/", SignOutView.as_view(), name="api-logout"),
    path("v1/reports/", include(reports)),
    path("v1/", include(router.urls)),
    # The API's shape is for staff only: it maps every endpoint and field an attacker could try.
    path(
        "schema/",
        SpectacularAPIView.as_view(permission_classes=[IsStaffMember]),
        name="api-schema",
    ),
    # The split view serves its start-up script as a file: the page runs under the CSP.
    path(
        "docs/",
        login_required(
            allows_inline_styles(
                SpectacularSwaggerSplitView.as_view(
                    url_name="api-schema", permission_classes=[IsStaffMember]
                )
            )
        ),
        name="api-docs",
    ),
]
