"""Patients, intakes and pain scores, read-only through the API: patients are registered and
intakes answered on their pages; pain is written with the session it belongs to."""

import django_filters
from rest_framework import viewsets

from clinic.permissions import visible
from clinic.rest import AuditedReads, InstantFilter, ReadsClinical

from .models import BodyRegion, IntakeSubmission, PainScore, PainSource, Patient
from .selectors import patient_list
from .serializers import IntakeSerializer, PainScoreSerializer, PatientSerializer


class PatientFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", label="Name, phone or e-mail")

    class Meta:
        model = Patient
        fields = ["activity_profile", "preferred_channel"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(pk__in=patient_list(user=self.request.user, search=value))


class PatientViewSet(AuditedReads, viewsets.ReadOnlyModelViewSet):
    serializer_class = PatientSerializer
    filterset_class = PatientFilter
    ordering_fields = ["last_name", "first_name", "date_of_birth", "created_at"]
    ordering = ["last_name", "first_name", "id"]

    def get_queryset(self):
        return visible(self.request.user, Patient)


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
