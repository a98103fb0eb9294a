from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

import sessions.views

from . import views
from .forms import StaffAuthenticationForm

urlpatterns = [
    path("", sessions.views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=StaffAuthenticationForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/keepalive", views.keepalive, name="keepalive"),
    path("accounts/second-factor/", views.second_factor_step, name="second_factor"),
    path("audit/", views.audit_report, name="audit_report"),
    path("admin/", admin.site.urls),
    # Explicit FHIR and CSV export paths, ahead of the REST router's api/v1/ routes.
    path("api/v1/", include("interop.urls")),
    path("", include("patients.urls")),
    path("", include("sessions.urls")),
    path("api/", include("clinic.api")),
    path("dashboard/", include("reports.urls")),
]
