"""Follow-ups and reminders are only shown here (every read audited): they change through
scheduling/follow_ups.py, which moves reminders with their follow-up and writes the audit row.
A clinic's reminder policy is edited here or on its page."""

from django.contrib import admin

from clinic.admin import AuditedAdmin, ReadOnlyInline, RecordAdmin

from .models import FollowUp, Reminder, ReminderPolicy


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


@admin.register(Reminder)
class ReminderAdmin(RecordAdmin):
    list_display = ["follow_up", "channel", "kind", "status", "send_at", "attempts", "sent_at"]
    list_filter = ["status", "channel", "kind"]
    search_fields = ["follow_up__patient__last_name", "provider_message_id"]
    list_select_related = ["follow_up"]
    raw_id_fields = ["follow_up"]


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
