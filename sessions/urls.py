from django.urls import path

from . import check_in_views, views

urlpatterns = [
    path("patients/<int:pk>/", views.patient_chart, name="patient_chart"),
    path("sessions/new/", views.session_new, name="session_new"),
    path("sessions/<int:pk>/", views.session_detail, name="session_detail"),
    path("sessions/<int:pk>/draft", views.session_draft, name="session_draft"),
    path("sessions/<int:pk>/history", views.session_history, name="session_history"),
    path("sessions/<int:pk>/sign", views.session_sign, name="session_sign"),
    path("sessions/<int:pk>/addenda", views.addendum_create, name="addendum_create"),
    # The patient's post-session check-in (no login: the token in the link is the key).
    path("check-in/thanks/", check_in_views.check_in_thanks, name="check_in_thanks"),
    path("check-in/<str:token>/", check_in_views.check_in, name="check_in"),
]
