from django.contrib import admin

from .models import AuditEvent
from .trail import record


class AuditedModelAdmin(admin.ModelAdmin):
    """Admin changes go to the audit trail like any other change."""

    def log_addition(self, request, obj, message):
        record("create", request=request, obj=obj, detail={"via": "admin"})
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        record("update", request=request, obj=obj, detail={"via": "admin"})
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            record("delete", request=request, obj=obj, detail={"via": "admin", "was": str(obj)[:100]})
        return super().log_deletions(request, queryset)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is never edited or deleted, not even by a superuser."""

    list_display = ["at", "username", "action", "object_type", "object_id", "clinic_id", "patient_id", "source_ip"]
    list_filter = ["action"]
    search_fields = ["username", "object_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
