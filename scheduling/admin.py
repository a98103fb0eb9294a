"""Appointments, follow-ups and reminders are only shown here (every read audited): they change
through scheduling/appointments.py and follow_ups.py, which move reminders with them and write the
audit row. Rooms, therapists' hours and their exceptions, and a clinic's reminder policy, are
edited here (the policy on its page too)."""

from django.contrib import admin

from clinic.admin import AuditedAdmin, ReadOnlyInline, RecordAdmin

from .models import (
    Appointment,
    FollowUp,
    Reminder,
    ReminderPolicy,
    Room,
    WorkingHours,
    WorkingHoursException,
)


class ReminderInline(ReadOnlyInline):
    model = Reminder
    exclude = ["answer_token_hash", "lease"]


@admin.register(FollowUp)
class FollowUpAdmin(RecordAdmin):
    list_display = ["patient", "kind", "status", "due_at", "therapist"]
    list_filter = ["status", "kind", "therapist"]
    search_fields = ["patient__last_name", "patient__first_name"]
    list_select_related = ["patient", "therapist"]
    raw_id_fields = ["patient", "session", "therapist", "created_by"]
    date_hierarchy = "due_at"
    inlines = [ReminderInline]


@admin.register(Appointment)
class AppointmentAdmin(RecordAdmin):
    list_display = ["patient", "therapist", "kind", "status", "starts_at", "ends_at", "room"]
    list_filter = ["status", "kind", "therapist"]
    search_fields = ["patient__last_name", "patient__first_name"]
    list_select_related = ["patient", "therapist", "room"]
    raw_id_fields = ["patient", "therapist", "session", "follow_up", "created_by", "cancelled_by"]
    date_hierarchy = "starts_at"
    inlines = [ReminderInline]


@admin.register(Reminder)
class ReminderAdmin(RecordAdmin):
    list_display = ["patient", "appointment", "follow_up", "channel", "kind", "status", "send_at"]
    list_filter = ["status", "channel", "kind"]
    search_fields = ["patient__last_name", "provider_message_id"]
    list_select_related = ["patient", "appointment", "follow_up"]
    raw_id_fields = ["patient", "appointment", "follow_up"]


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["name", "clinic"]
    list_filter = ["clinic"]


@admin.register(WorkingHours)
class WorkingHoursAdmin(admin.ModelAdmin):
    list_display = ["therapist", "clinic", "weekday", "starts", "ends"]
    list_filter = ["clinic", "therapist", "weekday"]
    raw_id_fields = ["therapist"]


@admin.register(WorkingHoursException)
class WorkingHoursExceptionAdmin(admin.ModelAdmin):
    list_display = ["therapist", "clinic", "first_day", "last_day", "starts", "ends", "note"]
    list_filter = ["clinic", "therapist"]
    raw_id_fields = ["therapist"]


@admin.register(ReminderPolicy)
class ReminderPolicyAdmin(AuditedAdmin):
    list_display = [
        "clinic",
        "first_reminder_hours",
        "second_reminder_hours",
        "check_in_after_hours",
        "quiet_hours_start",
        "quiet_hours_end",
        "email_enabled",
        "sms_enabled",
    ]
