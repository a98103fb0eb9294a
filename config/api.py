"""The REST API's URL map: /api/v1/ resources and reports, /api/schema/ and /api/docs/."""

from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from clinic.api import IsStaffMember, SignOutView, TokenView
from clinic.middleware import allows_inline_styles
from patients import api as patients_api
from plans import api as plans_api
from reports import api as reports_api
from reports import trigger_point_api
from scheduling import api as scheduling_api
from sessions import api as sessions_api

router = DefaultRouter()
router.register("patients", patients_api.PatientViewSet, basename="patient")
router.register("intakes", patients_api.IntakeViewSet, basename="intake")
router.register("pain-scores", patients_api.PainScoreViewSet, basename="pain-score")
router.register("sessions", sessions_api.TreatmentSessionViewSet, basename="session")
router.register("trigger-points", sessions_api.TriggerPointViewSet, basename="trigger-point")
router.register("muscles", sessions_api.MuscleViewSet, basename="muscle")
router.register("mobility", sessions_api.MobilityViewSet, basename="mobility")
router.register("appointments", scheduling_api.AppointmentViewSet, basename="appointment")
router.register("follow-ups", scheduling_api.FollowUpViewSet, basename="follow-up")
router.register("reminders", scheduling_api.ReminderViewSet, basename="reminder")
router.register("plans", plans_api.PlanOfCareViewSet, basename="plan")
router.register("plan-goals", plans_api.PlanGoalViewSet, basename="plan-goal")
router.register("waitlist", scheduling_api.WaitlistEntryViewSet, basename="waitlist-entry")

reports = [
    path("outcomes/", reports_api.ClinicOutcomesView.as_view(), name="report-outcomes"),
    path(
        "trigger-points/",
        reports_api.TriggerPointReportView.as_view(),
        name="report-trigger-points",
    ),
    path("concordance/", reports_api.ConcordanceView.as_view(), name="report-concordance"),
    path("check-in-curve/", reports_api.CheckInCurveView.as_view(), name="report-check-in-curve"),
    path("psfs/", reports_api.PsfsChangeView.as_view(), name="report-psfs"),
    path("rom/", reports_api.RomChangeView.as_view(), name="report-rom"),
    path("instruments/", reports_api.InstrumentChangeView.as_view(), name="report-instruments"),
    path("operations/", reports_api.OperationsView.as_view(), name="report-operations"),
    path(
        "patients/<int:patient_id>/pain-trend/",
        reports_api.PatientPainTrendView.as_view(),
        name="report-pain-trend",
    ),
    path(
        "patients/<int:patient_id>/instrument-trend/",
        reports_api.PatientInstrumentTrendView.as_view(),
        name="report-instrument-trend",
    ),
    path(
        "patients/<int:patient_id>/mobility-trend/",
        reports_api.PatientMobilityTrendView.as_view(),
        name="report-mobility-trend",
    ),
    path(
        "patients/<int:patient_id>/ppt-trend/",
        trigger_point_api.PatientPptTrendView.as_view(),
        name="report-ppt-trend",
    ),
    path(
        "patients/<int:patient_id>/release-forecasts/",
        trigger_point_api.PatientReleaseForecastView.as_view(),
        name="report-release-forecasts",
    ),
    path(
        "patients/<int:patient_id>/n-of-1/",
        trigger_point_api.PatientNOf1View.as_view(),
        name="report-n-of-1",
    ),
    path(
        "release-forecasts/",
        trigger_point_api.ClinicReleaseForecastView.as_view(),
        name="report-release-forecast-table",
    ),
]


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
