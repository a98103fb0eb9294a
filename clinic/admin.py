from django.contrib import admin

from .models import AuditEvent, Clinic, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "time_zone", "retention_years", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "clinic", "role", "is_active", "created_at"]
    list_filter = ["role", "is_active", "clinic"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "clinic__name"]
    list_select_related = ["user", "clinic"]
    autocomplete_fields = ["user", "clinic"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is append-only, in the admin as in the database."""

    list_display = [
        "at",
        "action",
        "actor",
        "actor_label",
        "object_type",
        "object_id",
        "clinic",
        "ip",
    ]
    list_filter = ["action", "clinic", "object_type"]
    search_fields = ["actor__username", "actor_label", "object_id", "request_id"]
    list_select_related = ["actor", "clinic"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
