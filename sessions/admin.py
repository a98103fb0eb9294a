"""Catalogues are edited here; treatment records are only shown (and every read audited): they
change through their services, which keep a signed note locked and write the audit row."""

from django.contrib import admin

from clinic.admin import ReadOnlyInline, RecordAdmin

from .models import (
    Addendum,
    CheckIn,
    MobilityMeasurement,
    Movement,
    Muscle,
    ReferralZone,
    TreatmentSession,
    TriggerPoint,
)


class ReferralZoneInline(admin.TabularInline):
    """The muscle's referral zones (the atlas), which a clinic may amend, citing its source."""

    model = ReferralZone
    extra = 0


@admin.register(Muscle)
class MuscleAdmin(admin.ModelAdmin):
    inlines = [ReferralZoneInline]
    list_display = ["name", "region", "chart_view", "chart_x", "chart_y", "snomed_code"]
    list_filter = ["region", "chart_view"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Movement)
class MovementAdmin(admin.ModelAdmin):
    list_display = ["joint", "name", "normal_degrees", "bilateral"]
    list_filter = ["joint"]
    search_fields = ["joint", "name"]


class TriggerPointInline(ReadOnlyInline):
    model = TriggerPoint


class AddendumInline(ReadOnlyInline):
    model = Addendum


@admin.register(TreatmentSession)
class TreatmentSessionAdmin(RecordAdmin):
    list_display = ["id", "patient", "therapist", "started_at", "status", "signed_at"]
    list_filter = ["status", "therapist"]
    search_fields = ["patient__last_name", "patient__first_name", "therapist__username"]
    list_select_related = ["patient", "therapist"]
    raw_id_fields = ["patient", "therapist", "signed_by"]
    date_hierarchy = "started_at"
    inlines = [TriggerPointInline, AddendumInline]


@admin.register(TriggerPoint)
class TriggerPointAdmin(RecordAdmin):
    list_display = ["muscle", "side", "session", "kind", "tenderness", "hold_seconds", "released"]
    list_filter = ["kind", "released", "technique", "side", "muscle__region"]
    search_fields = ["muscle__name", "session__patient__last_name"]
    list_select_related = ["muscle", "session"]
    raw_id_fields = ["session", "muscle"]


@admin.register(MobilityMeasurement)
class MobilityMeasurementAdmin(RecordAdmin):
    list_display = ["patient", "movement", "side", "degrees", "method", "measured_at"]
    list_filter = ["movement__joint", "method", "side"]
    search_fields = ["patient__last_name", "movement__name"]
    list_select_related = ["patient", "movement"]
    raw_id_fields = ["patient", "session"]


@admin.register(Addendum)
class AddendumAdmin(RecordAdmin):
    list_display = ["session", "author", "kind", "reason", "created_at"]
    list_filter = ["kind"]
    search_fields = ["reason", "session__patient__last_name"]
    list_select_related = ["session", "author"]
    raw_id_fields = ["session", "author"]


@admin.register(CheckIn)
class CheckInAdmin(RecordAdmin):
    list_display = ["session", "created_at", "expires_at", "completed_at", "soreness"]
    list_filter = ["completed_at"]
    search_fields = ["session__patient__last_name"]
    raw_id_fields = ["session"]
    exclude = ["token_hash"]
