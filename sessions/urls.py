from django.urls import path

from .views import chart, check_in, history, printing, recording, settings

urlpatterns = [
    path("patients/<int:pk>/", chart.patient_chart, name="patient_chart"),
    path("sessions/new/", recording.session_new, name="session_new"),
    path("sessions/settings/", settings.recording_settings, name="recording_settings"),
    path(
        "sessions/settings/templates/<int:pk>/",
        settings.soap_template_edit,
        name="soap_template_edit",
    ),
    path(
        "sessions/settings/templates/<int:pk>/delete",
        settings.soap_template_delete,
        name="soap_template_delete",
    ),
    path("sessions/<int:pk>/", recording.session_detail, name="session_detail"),
    path("sessions/<int:pk>/draft", recording.session_draft, name="session_draft"),
    path("sessions/<int:pk>/history", history.session_history, name="session_history"),
    path("sessions/<int:pk>/sign", recording.session_sign, name="session_sign"),
    path("sessions/<int:pk>/print", printing.session_print, name="session_print"),
    path("sessions/<int:pk>/discard", recording.session_discard, name="session_discard"),
    path("sessions/<int:pk>/addenda", recording.addendum_create, name="addendum_create"),
    # The patient's post-session check-in (no login: the token in the link is the key).
    path("check-in/thanks/", check_in.check_in_thanks, name="check_in_thanks"),
    path("check-in/<str:token>/", check_in.check_in, name="check_in"),
]
