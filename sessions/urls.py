from django.urls import path

from . import check_in_views, views

urlpatterns = [
    path("patients/<int:pk>/", views.patient_chart, name="patient_chart"),
    path("patients/<int:pk>/erasure", views.patient_erasure, name="patient_erasure"),
    path("sessions/new/", views.session_new, name="session_new"),
    path("sessions/<int:pk>/", views.session_detail, name="session_detail"),
    path("sessions/<int:pk>/draft", views.session_draft, name="session_draft"),
    path("sessions/<int:pk>/history", views.session_history, name="session_history"),
    path("sessions/<int:pk>/sign", views.session_sign, name="session_sign"),
    path("sessions/<int:pk>/addenda", views.addendum_create, name="addendum_create"),
    path("sessions/<int:pk>/follow-up", views.follow_up_plan, name="follow_up_plan"),
    # The patient's post-session check-in (no login: the token in the link is the key).
    path("check-in/thanks/", check_in_views.check_in_thanks, name="check_in_thanks"),
    path("check-in/<str:token>/", check_in_views.check_in, name="check_in"),
    # Front desk: follow-ups and their reminders; the patient's confirm/cancel link.
    path("follow-ups/", views.follow_up_list, name="follow_up_list"),
    path("follow-ups/new/", views.follow_up_new, name="follow_up_new"),
    path("follow-ups/policy/", views.reminder_policy, name="reminder_policy"),
    path("follow-ups/<int:pk>/", views.follow_up_detail, name="follow_up_detail"),
    path("follow-ups/<int:pk>/move/", views.follow_up_move_view, name="follow_up_move"),
    path("follow-ups/<int:pk>/status/", views.follow_up_status_view, name="follow_up_status"),
    path(
        "follow-ups/reminders/<int:pk>/resend/",
        views.reminder_resend_view,
        name="reminder_resend",
    ),
    path("follow-ups/reply/<str:token>/", views.follow_up_reply_view, name="follow_up_reply"),
]
