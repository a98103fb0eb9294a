from django.urls import path

from . import import_views, views

urlpatterns = [
    path("patients/", views.patient_index, name="patient_list"),
    # The patient's side: no login, the token in the link is the key.
    path("intake/thanks/", views.intake_thanks, name="intake_thanks"),
    path("intake/<str:token>/", views.intake, name="intake"),
    # Staff.
    path("intakes/", views.intake_queue, name="intake_queue"),
    path("intakes/invite/", views.intake_invite, name="intake_invite"),
    path("intakes/<int:intake_id>/", views.intake_review, name="intake_review"),
    path(
        "intakes/<int:intake_id>/clear-red-flags/",
        views.intake_red_flags_clear,
        name="intake_red_flags_clear",
    ),
    path("patients/import/", import_views.patient_import, name="patient_import"),
]
