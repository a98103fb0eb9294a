from django.urls import path

from . import views

app_name = "treatments"

urlpatterns = [
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
