"""Patient data in Django's admin: every read and write audited (clinic.admin.AuditedAdmin);
clinical rows and links read-only (their services keep the record's rules)."""

from django.contrib import admin

from clinic.admin import AuditedAdmin, RecordAdmin

from .models import FunctionalScore, IntakeInvitation, IntakeSubmission, PainScore, Patient


@admin.register(Patient)
class PatientAdmin(AuditedAdmin):
    list_display = ["last_name", "first_name", "date_of_birth", "clinic", "activity_profile"]
    list_filter = ["clinic", "activity_profile", "preferred_language"]
    search_fields = ["last_name", "first_name", "email", "phone"]
    list_select_related = ["clinic"]
    date_hierarchy = "created_at"


@admin.register(IntakeInvitation)
class IntakeInvitationAdmin(RecordAdmin):
    list_display = ["id", "clinic", "patient", "created_at", "expires_at", "used_at"]
    list_filter = ["clinic", "language"]
    search_fields = ["patient__last_name", "email"]
    list_select_related = ["clinic", "patient"]
    raw_id_fields = ["patient"]
    # The hash opens nothing, but there is no reason for anyone to read or edit it.
    exclude = ["token_hash"]


@admin.register(IntakeSubmission)
class IntakeSubmissionAdmin(RecordAdmin):
    list_display = ["id", "patient", "clinic", "status", "duration_category", "submitted_at"]
    list_filter = ["status", "duration_category", "clinic"]
    search_fields = ["patient__last_name", "patient__first_name"]
    list_select_related = ["patient", "clinic"]
    raw_id_fields = ["patient", "invitation"]


@admin.register(PainScore)
class PainScoreAdmin(RecordAdmin):
    list_display = ["patient", "recorded_at", "source", "region", "side", "score"]
    list_filter = ["source", "region", "side"]
    search_fields = ["patient__last_name", "patient__first_name"]
    list_select_related = ["patient"]
    raw_id_fields = ["patient", "session"]
    date_hierarchy = "recorded_at"


@admin.register(FunctionalScore)
class FunctionalScoreAdmin(RecordAdmin):
    list_display = ["patient", "recorded_at", "item", "activity", "score", "instrument"]
    list_filter = ["instrument", "source"]
    search_fields = ["patient__last_name", "activity"]
    list_select_related = ["patient"]
    raw_id_fields = ["patient", "session"]
