"""Treatment sessions and their parts. Every write goes through the
services, so the API cannot do what the pages may not: a signed note stays locked (409)."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from clinic.permissions import visible
from clinic.rest import AuditedReads, InstantFilter, ReadsClinical
from clinic.types import StaffApiRequest
from patients.models import Side

from . import atlas, services
from .models import (
    MobilityMeasurement,
    Muscle,
    SignedRecordLocked,
    TreatmentSession,
    TriggerPoint,
)
from .selectors import percent_of_normal
from .serializers import (
    AddendumSerializer,
    MobilitySerializer,
    MuscleAtlasSerializer,
    PalpationSuggestionsSerializer,
    SessionDraftSerializer,
    SessionSignSerializer,
    SessionStartSerializer,
    TreatmentSessionSerializer,
    TriggerPointSerializer,
)


class SessionLocked(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This session is signed and locked: add an addendum instead."
    default_code = "signed"


class TreatmentSessionFilter(django_filters.FilterSet):
    started_after = InstantFilter("started_at", lookup_expr="gte")
    started_before = InstantFilter("started_at", lookup_expr="lt")

    class Meta:
        model = TreatmentSession
        fields = ["patient", "therapist", "status"]


class TreatmentSessionViewSet(
    AuditedReads,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    serializer_class = TreatmentSessionSerializer
    permission_classes = [ReadsClinical]
    filterset_class = TreatmentSessionFilter
    ordering_fields = ["started_at", "created_at"]
    ordering = ["-started_at", "-id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        sessions = visible(self.request.user, TreatmentSession).prefetch_related(
            "addenda__corrections__muscle"
        )
        if self.action == "list":
            # A discarded draft still answers by its id, but lists no longer show it.
            sessions = sessions.filter(discarded_at__isnull=True)
        return sessions

    def _answer(self, session, code=status.HTTP_200_OK):
        session = self.get_queryset().get(pk=session.pk)
        return Response(self.get_serializer(session).data, status=code)

    @extend_schema(
        request=SessionStartSerializer,
        responses={201: TreatmentSessionSerializer, 200: TreatmentSessionSerializer},
        description="Start a session: 201 with a new draft, or 200 with the therapist's open "
        "draft for this patient unless `another` is true.",
    )
    def create(self, request, *args, **kwargs):
        form = SessionStartSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        session = services.session_start(therapist=request.user, **form.validated_data)
        code = status.HTTP_200_OK if session.continued else status.HTTP_201_CREATED
        return self._answer(session, code)

    @extend_schema(request=None, responses={200: TreatmentSessionSerializer, 409: None})
    @action(detail=True, methods=["post"])
    def discard(self, request, pk=None):
        """Discard a draft (kept, hidden from lists, audited); a signed note answers 409."""
        session = self.get_object()
        try:
            session = services.session_discard(session=session, user=request.user)
        except SignedRecordLocked as exc:
            raise SessionLocked() from exc
        return self._answer(session)

    @extend_schema(
        request=SessionDraftSerializer,
        responses={200: TreatmentSessionSerializer, 409: None},
        description="Save a draft. Each list given (pain, trigger_points, mobility) replaces "
        "the draft's whole set of that kind. A signed session answers 409.",
    )
    def partial_update(self, request, *args, **kwargs):
        session = self.get_object()
        form = SessionDraftSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        try:
            session = services.session_update(
                session=session, user=request.user, **form.service_arguments()
            )
        except SignedRecordLocked as exc:
            raise SessionLocked() from exc
        return self._answer(session)

    @extend_schema(
        request=SessionSignSerializer, responses={200: TreatmentSessionSerializer, 409: None}
    )
    @action(detail=True, methods=["post"])
    def sign(self, request: StaffApiRequest, pk=None):
        session = self.get_object()
        form = SessionSignSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            session = services.session_sign(
                session=session, user=request.user, **form.validated_data
            )
        except SignedRecordLocked as exc:
            raise SessionLocked() from exc
        return self._answer(session)

    @extend_schema(responses=PalpationSuggestionsSerializer)
    @action(detail=True, methods=["get"], url_path="palpation-suggestions")
    def palpation_suggestions(self, request: StaffApiRequest, pk=None):
        """ "Check these first": from the patient's latest pain ratings before the session
        (intake, pre-session, check-in), the muscles whose referral zones cover the painful
        regions, ranked by pain score and essential or spill-over zone, with why."""
        session = self.get_object()
        return Response(
            PalpationSuggestionsSerializer(atlas.palpation_suggestions(session=session)).data
        )

    @extend_schema(request=AddendumSerializer, responses={201: AddendumSerializer})
    @action(detail=True, methods=["post"])
    def addenda(self, request: StaffApiRequest, pk=None):
        session = self.get_object()
        form = AddendumSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        addendum = services.addendum_add(
            session=session, author=request.user, **form.validated_data
        )
        return Response(AddendumSerializer(addendum).data, status=status.HTTP_201_CREATED)


class TriggerPointFilter(django_filters.FilterSet):
    patient = django_filters.NumberFilter("session__patient")
    muscle = django_filters.CharFilter("muscle__slug")
    side = django_filters.ChoiceFilter(choices=Side.choices)

    class Meta:
        model = TriggerPoint
        fields = ["session", "kind", "technique", "released"]


class TriggerPointViewSet(AuditedReads, viewsets.ReadOnlyModelViewSet):
    """Trigger points are written with their session (PATCH /sessions/{id}/)."""

    serializer_class = TriggerPointSerializer
    permission_classes = [ReadsClinical]
    filterset_class = TriggerPointFilter
    ordering_fields = ["id", "tenderness"]
    ordering = ["id"]

    def get_queryset(self):
        return visible(self.request.user, TriggerPoint).select_related("muscle")


class MuscleViewSet(viewsets.ReadOnlyModelViewSet):
    """The muscle catalogue with the referral atlas: each muscle's referral zones (region, side
    relative to the point, essential or spill-over) and the published source. Shared by every
    clinic; read by clinical staff."""

    serializer_class = MuscleAtlasSerializer
    permission_classes = [ReadsClinical]
    lookup_field = "slug"
    queryset = Muscle.objects.prefetch_related("referral_zones").order_by("name")
    ordering = ["name"]
    filterset_fields = ["region", "chart_view"]


class MobilityFilter(django_filters.FilterSet):
    movement = django_filters.CharFilter("movement__code")
    side = django_filters.ChoiceFilter(choices=Side.choices)
    measured_after = InstantFilter("measured_at", lookup_expr="gte")
    measured_before = InstantFilter("measured_at", lookup_expr="lt")

    class Meta:
        model = MobilityMeasurement
        fields = ["patient", "session", "method"]


class MobilityViewSet(AuditedReads, viewsets.ReadOnlyModelViewSet):
    """Range-of-motion measurements, in degrees and % of the movement's normal range."""

    serializer_class = MobilitySerializer
    permission_classes = [ReadsClinical]
    filterset_class = MobilityFilter
    ordering_fields = ["measured_at", "degrees"]
    ordering = ["measured_at", "id"]

    def get_queryset(self):
        return (
            visible(self.request.user, MobilityMeasurement)
            .select_related("movement")
            .annotate(percent_of_normal=percent_of_normal())
        )
