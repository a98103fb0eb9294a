from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("patients/<int:patient_id>/", views.patient_progress, name="patient-progress"),
]
