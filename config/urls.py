from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from clinic import views
from clinic.forms import StaffAuthenticationForm
from sessions.views.home import home

urlpatterns = [
    path("", home, name="home"),
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
    path("audit/unlock/<int:user_id>/", views.sign_in_unlock_view, name="sign_in_unlock"),
    path("tokens/", views.api_tokens, name="api_tokens"),
    path("tokens/<int:token_id>/revoke", views.api_token_revoke_view, name="api_token_revoke"),
    path("tokens/revoke-all", views.api_tokens_revoke_all_view, name="api_tokens_revoke_all"),
    path("admin/", admin.site.urls),
    # Explicit FHIR and CSV export paths, ahead of the REST router's api/v1/ routes.
    path("api/v1/", include("interop.urls")),
    path("", include("patients.urls")),
    path("", include("sessions.urls")),
    path("", include("scheduling.urls")),
    path("", include("outcomes.urls")),
    path("", include("plans.urls")),
    path("api/", include("config.api")),
    path("dashboard/", include("reports.urls")),
]
