from django.contrib import admin
from django.contrib.admin.utils import unquote

from .audit import audit_read, audit_record
from .models import AuditEvent, Clinic, Membership


def _audit_admin(request, action: str, obj=None) -> None:
    """One audit row for an admin read or write, superusers included, filed under the row's
    patient where it has one."""
    if obj is not None and hasattr(obj, "clinic_lookup") and action == AuditEvent.Action.READ:
        audit_read(user=request.user, obj=obj)
        return
    patient = obj if obj is not None and obj._meta.label_lower == "patients.patient" else None
    audit_record(
        action=action,
        actor=request.user,
        obj=obj,
        patient=patient,
        clinic_id=getattr(obj, "clinic_id", None),
    )


class AuditedAdmin(admin.ModelAdmin):
    """For models holding patient data: every list, every row opened (change view and its
    history) and every save leaves an audit row, as the staff pages do."""

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        audit_record(action=AuditEvent.Action.LIST, actor=request.user)
        return response

    def _audit_opened(self, request, object_id) -> None:
        obj = self.get_object(request, unquote(object_id))
        if obj is not None:
            _audit_admin(request, AuditEvent.Action.READ, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        self._audit_opened(request, object_id)
        return response

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        self._audit_opened(request, object_id)
        return response

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        _audit_admin(request, AuditEvent.Action.UPDATE if change else AuditEvent.Action.CREATE, obj)

    def has_delete_permission(self, request, obj=None):
        # Patient data leaves the system only through the erasure request, never a delete.
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RecordAdmin(AuditedAdmin):
    """Clinical records and the trail itself: shown, never added, changed or deleted here. The
    record changes only through its services (the pages, the API), which keep a signed note
    locked, its history, its derived report rows and its audit row."""

    actions = None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


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
class AuditEventAdmin(RecordAdmin):
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
