from django.urls import path

from . import views

urlpatterns = [
    path("patients/", views.patient_index, name="patient_list"),
]
