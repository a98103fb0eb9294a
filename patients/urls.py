from django.urls import path

from .views import imports, index, intake, invite, merge, registration, review

urlpatterns = [
    path("patients/", index.patient_index, name="patient_list"),
    path("patients/new/", registration.patient_new, name="patient_new"),
    path("patients/<int:pk>/edit/", registration.patient_edit, name="patient_edit"),
    path("patients/<int:pk>/merge/", merge.patient_merge, name="patient_merge"),
    path("patients/<int:pk>/intake-link/", invite.patient_intake_link, name="patient_intake_link"),
    # The patient's side: no login, the token in the link is the key.
    path("intake/thanks/", intake.intake_thanks, name="intake_thanks"),
    path("intake/<str:token>/", intake.intake, name="intake"),
    # Staff.
    path("intakes/", review.intake_queue, name="intake_queue"),
    path("intakes/invite/", invite.intake_invite, name="intake_invite"),
    path("intakes/<int:intake_id>/", review.intake_review, name="intake_review"),
    path(
        "intakes/<int:intake_id>/clear-red-flags/",
        review.intake_red_flags_clear,
        name="intake_red_flags_clear",
    ),
    path("patients/import/", imports.patient_import, name="patient_import"),
]
