from django.urls import path

from . import import_views, views

urlpatterns = [
    path("patients/", views.patient_index, name="patient_list"),
    path("patients/import/", import_views.patient_import, name="patient_import"),
]
