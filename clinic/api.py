"""The API's own sign-in: tokens for staff (POST /api/v1/auth/token/, /api/v1/auth/logout/) and the
permission that keeps the schema and docs for staff. config/api.py maps them with each app's API."""

from django.conf import settings
from django.contrib.auth import authenticate, logout
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic import second_factor
from clinic.addresses import client_ip
from clinic.api_tokens import api_token_issue, api_token_revoke
from clinic.auth import Step, lock_remaining
from clinic.models import ApiToken
from clinic.permissions import access_for
from clinic.throttle import code_lock_message, too_many_attempts
from clinic.types import StaffApiRequest


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
    def post(self, request: Request):
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
        checked = second_factor.code_verify(user=user, code=data["code"])
        if checked is second_factor.CodeCheck.JUST_USED:
            raise serializers.ValidationError(
                {"code": ["This code was just used; wait for the next one."]}
            )
        if not checked:
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
    def post(self, request: StaffApiRequest):
        if isinstance(request.auth, ApiToken):
            api_token_revoke(
                token=request.auth, actor=request.user, reason=ApiToken.Reason.SIGNED_OUT
            )
        else:
            logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class IsStaffMember(BasePermission):
    """Signed in (a session past its second factor, or a token) and working in a clinic."""

    def has_permission(self, request: Request, view) -> bool:
        user = request.user
        return bool(
            user and user.is_authenticated and (access_for(user).clinic_ids or user.is_staff)
        )
