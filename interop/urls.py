"""Included under api/v1/ in config/urls.py, before the REST router."""

from django.urls import path

from . import views

urlpatterns = [
    path(
        "patients/<int:patient_id>/fhir/",
        views.PatientBundleView.as_view(),
        name="patient_fhir_bundle",
    ),
    path(
        "fhir/Questionnaire/intake",
        views.IntakeQuestionnaireView.as_view(),
        name="fhir_intake_questionnaire",
    ),
    path(
        "fhir/export/<str:resource_type>.ndjson",
        views.BulkExportView.as_view(),
        name="fhir_bulk_export",
    ),
    path("export/<str:table>.csv", views.CsvExportView.as_view(), name="csv_export"),
]
