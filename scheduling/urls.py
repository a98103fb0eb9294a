from django.urls import path

from .views import (
    appointment,
    book,
    booking,
    desk,
    detail,
    erasure,
    hours,
    policy,
    reply,
    waitlist,
)

urlpatterns = [
    path("patients/<int:pk>/erasure", erasure.patient_erasure, name="patient_erasure"),
    path("sessions/<int:pk>/follow-up", booking.follow_up_plan, name="follow_up_plan"),
    # The appointment book.
    path("book/", book.book_day_view, name="book_day"),
    path("book/week/", book.book_week_view, name="book_week"),
    path("book/hours/", hours.working_hours_page, name="working_hours"),
    path("appointments/new/", appointment.appointment_new, name="appointment_new"),
    path("appointments/<int:pk>/", appointment.appointment_detail, name="appointment_detail"),
    path("appointments/<int:pk>/move/", appointment.appointment_move_view, name="appointment_move"),
    path(
        "appointments/<int:pk>/status/",
        appointment.appointment_status_view,
        name="appointment_status",
    ),
    path(
        "appointments/<int:pk>/session/",
        appointment.appointment_session_view,
        name="appointment_session",
    ),
    # Front desk: follow-ups and their reminders; the patient's confirm/cancel link.
    path("follow-ups/", desk.follow_up_list, name="follow_up_list"),
    path("follow-ups/new/", booking.follow_up_new, name="follow_up_new"),
    path("follow-ups/policy/", policy.reminder_policy, name="reminder_policy"),
    path("follow-ups/<int:pk>/", detail.follow_up_detail, name="follow_up_detail"),
    path("follow-ups/<int:pk>/move/", detail.follow_up_move_view, name="follow_up_move"),
    path("follow-ups/<int:pk>/status/", detail.follow_up_status_view, name="follow_up_status"),
    path(
        "follow-ups/reminders/<int:pk>/resend/",
        detail.reminder_resend_view,
        name="reminder_resend",
    ),
    path("follow-ups/reply/<str:token>/", reply.follow_up_reply_view, name="follow_up_reply"),
    # The waitlist: front desk's list and form; the patient's offer page.
    path("waitlist/", waitlist.waitlist_list, name="waitlist_list"),
    path("waitlist/new/", waitlist.waitlist_new, name="waitlist_new"),
    path("waitlist/<int:pk>/withdraw/", waitlist.waitlist_withdraw, name="waitlist_withdraw"),
    path("waitlist/join/<str:token>/", waitlist.waitlist_join, name="waitlist_join"),
    path("waitlist/offer/<str:token>/", waitlist.waitlist_offer, name="waitlist_offer"),
]
