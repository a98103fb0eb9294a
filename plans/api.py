"""Plans of care and their goals. Every write goes through plans.services, so the API cannot do
what the pages may not: a signed plan stays locked (409; its next version is `revise`)."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from clinic.permissions import visible
from clinic.rest import AuditedReads, ReadsClinical
from patients.models import Patient
from sessions.models import SignedRecordLocked

from . import selectors, services
from .models import PlanGoal, PlanOfCare
from .serializers import (
    PlanCreateSerializer,
    PlanDischargeSerializer,
    PlanGoalSerializer,
    PlanInputSerializer,
    PlanOfCareDetailSerializer,
    PlanOfCareSerializer,
    PlanReviseSerializer,
)


class PlanLocked(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This plan of care is signed and locked: make a new version instead."
    default_code = "signed"


class PlanFilter(django_filters.FilterSet):
    class Meta:
        model = PlanOfCare
        fields = ["patient", "status", "therapist"]


class PlanOfCareViewSet(AuditedReads, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    permission_classes = [ReadsClinical]
    filterset_class = PlanFilter
    ordering_fields = ["opened_at", "reassess_on"]
    ordering = ["-opened_at", "-version", "-id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.plans_of(user=self.request.user).prefetch_related("goals__movement")

    def get_serializer_class(self):
        return PlanOfCareSerializer if self.action == "list" else PlanOfCareDetailSerializer

    def _answer(self, plan: PlanOfCare, code=status.HTTP_200_OK) -> Response:
        plan = self.get_queryset().get(pk=plan.pk)
        context = {
            **self.get_serializer_context(),
            "progress": selectors.goal_progress(plan=plan),
            "sessions": list(selectors.plan_sessions(plan=plan).values_list("pk", flat=True)),
        }
        return Response(PlanOfCareDetailSerializer(plan, context=context).data, status=code)

    def retrieve(self, request, *args, **kwargs):
        return self._answer(self.get_object())

    @extend_schema(request=PlanCreateSerializer, responses={201: PlanOfCareDetailSerializer})
    def create(self, request, *args, **kwargs):
        form = PlanCreateSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        plan = services.plan_create(actor=request.user, **form.validated_data)
        return self._answer(plan, status.HTTP_201_CREATED)

    @extend_schema(
        request=PlanInputSerializer, responses={200: PlanOfCareDetailSerializer, 409: None}
    )
    def partial_update(self, request, *args, **kwargs):
        """Change a draft; `goals`, when sent, replaces its whole list. A signed plan: 409."""
        plan = self.get_object()
        form = PlanInputSerializer(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        try:
            plan = services.plan_update(plan=plan, actor=request.user, **form.validated_data)
        except SignedRecordLocked as exc:
            raise PlanLocked() from exc
        return self._answer(plan)

    @extend_schema(request=None, responses={200: PlanOfCareDetailSerializer, 409: None})
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        try:
            plan = services.plan_sign(plan=self.get_object(), actor=request.user)
        except SignedRecordLocked as exc:
            raise PlanLocked() from exc
        return self._answer(plan)

    @extend_schema(request=PlanReviseSerializer, responses={201: PlanOfCareDetailSerializer})
    @action(detail=True, methods=["post"])
    def revise(self, request, pk=None):
        """Start the next version of an active plan (a draft that replaces it when signed)."""
        plan = self.get_object()
        form = PlanReviseSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        draft = services.plan_revise(plan=plan, actor=request.user, **form.validated_data)
        return self._answer(draft, status.HTTP_201_CREATED)

    @extend_schema(request=PlanDischargeSerializer, responses={200: PlanOfCareDetailSerializer})
    @action(detail=True, methods=["post"])
    def discharge(self, request, pk=None):
        plan = self.get_object()
        form = PlanDischargeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        plan = services.plan_discharge(plan=plan, actor=request.user, **form.validated_data)
        return self._answer(plan)

    @extend_schema(request=None, responses={204: None, 409: None})
    @action(detail=True, methods=["post"])
    def discard(self, request, pk=None):
        try:
            services.plan_discard(plan=self.get_object(), actor=request.user)
        except SignedRecordLocked as exc:
            raise PlanLocked() from exc
        return Response(status=status.HTTP_204_NO_CONTENT)


class PlanGoalFilter(django_filters.FilterSet):
    patient = django_filters.ModelChoiceFilter(
        field_name="plan__patient", queryset=Patient.objects.all()
    )

    class Meta:
        model = PlanGoal
        fields = ["plan", "kind"]


class PlanGoalViewSet(AuditedReads, viewsets.ReadOnlyModelViewSet):
    """Goals of the plans the caller may see; they are written with their plan."""

    serializer_class = PlanGoalSerializer
    permission_classes = [ReadsClinical]
    filterset_class = PlanGoalFilter
    ordering = ["plan", "position", "id"]

    def get_queryset(self):
        return visible(self.request.user, PlanGoal).select_related("movement", "plan")
