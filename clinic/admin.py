from django.contrib import admin

from .models import Clinic, Membership


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
