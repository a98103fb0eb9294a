"""The REST API's URL map: /api/v1/ resources and reports, /api/schema/ and /api/docs/."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from clinic.middleware import allows_inline_styles
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

urlpatterns = [
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
