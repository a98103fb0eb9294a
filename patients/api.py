"""Patients (registered and edited through the same services as the pages), and intakes and
pain scores read-only: intakes are answered on their pages; pain is written with the session
it belongs to."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from clinic.models import Clinic
from clinic.permissions import visible
from clinic.rest import AuditedReads, InstantFilter, ReadsClinical
from clinic.selectors import clinic_resolve

from . import services
from .models import BodyRegion, IntakeSubmission, PainScore, PainSource, Patient
from .selectors import patient_list
from .serializers import (
    DuplicatesAnswerSerializer,
    DuplicateSerializer,
    IntakeSerializer,
    PainScoreSerializer,
    PatientSerializer,
    PatientWriteSerializer,
)


class PatientFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", label="Name, phone or e-mail")

    class Meta:
        model = Patient
        fields = ["activity_profile", "preferred_channel"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(pk__in=patient_list(user=self.request.user, search=value))


def _duplicates_answer(error: services.PossibleDuplicates) -> Response:
    body = {"duplicates": DuplicateSerializer(error.matches, many=True).data}
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


class PatientViewSet(
    AuditedReads,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    serializer_class = PatientSerializer
    filterset_class = PatientFilter
    ordering_fields = ["last_name", "first_name", "date_of_birth", "created_at"]
    ordering = ["last_name", "first_name", "id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return visible(self.request.user, Patient)

    @extend_schema(
        request=PatientWriteSerializer,
        responses={201: PatientSerializer, 400: DuplicatesAnswerSerializer, 403: None},
        description="Register a patient (front desk, managers). Answers 400 with `duplicates` "
        "when registered patients may be the same person, unless `confirm_duplicate` is true.",
    )
    def create(self, request, *args, **kwargs):
        form = PatientWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        details, confirm, slug = form.service_arguments()
        try:
            clinic = clinic_resolve(user=request.user, slug=slug)
        except Clinic.DoesNotExist:
            raise NotFound from None
        try:
            patient = services.patient_register(
                actor=request.user, clinic=clinic, details=details, confirm_duplicate=confirm
            )
        except services.PossibleDuplicates as exc:
            return _duplicates_answer(exc)
        return Response(PatientSerializer(patient).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=PatientWriteSerializer,
        responses={200: PatientSerializer, 400: DuplicatesAnswerSerializer, 403: None},
        description="Change some of a patient's registration fields (front desk, managers); "
        "duplicates are checked as on registration.",
    )
    def partial_update(self, request, *args, **kwargs):
        patient = self.get_object()
        form = PatientWriteSerializer(patient, data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        changes, confirm, _slug = form.service_arguments()
        try:
            patient = services.patient_update(
                actor=request.user, patient=patient, changes=changes, confirm_duplicate=confirm
            )
        except services.PossibleDuplicates as exc:
            return _duplicates_answer(exc)
        return Response(PatientSerializer(patient).data)


class IntakeFilter(django_filters.FilterSet):
    submitted_after = InstantFilter("submitted_at", lookup_expr="gte")
    submitted_before = InstantFilter("submitted_at", lookup_expr="lt")

    class Meta:
        model = IntakeSubmission
        fields = ["patient", "status", "duration_category"]


class IntakeViewSet(AuditedReads, viewsets.ReadOnlyModelViewSet):
    serializer_class = IntakeSerializer
    permission_classes = [ReadsClinical]
    filterset_class = IntakeFilter
    ordering_fields = ["submitted_at", "created_at"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return visible(self.request.user, IntakeSubmission)


class PainScoreFilter(django_filters.FilterSet):
    source = django_filters.ChoiceFilter(choices=PainSource.choices)
    region = django_filters.ChoiceFilter(choices=BodyRegion.choices)
    recorded_after = InstantFilter("recorded_at", lookup_expr="gte")
    recorded_before = InstantFilter("recorded_at", lookup_expr="lt")

    class Meta:
        model = PainScore
        fields = ["patient", "session", "side"]


class PainScoreViewSet(AuditedReads, viewsets.ReadOnlyModelViewSet):
    serializer_class = PainScoreSerializer
    permission_classes = [ReadsClinical]
    filterset_class = PainScoreFilter
    ordering_fields = ["recorded_at", "score"]
    ordering = ["recorded_at", "id"]

    def get_queryset(self):
        return visible(self.request.user, PainScore)
