"""Admin for server operators (superusers). Patient data is not in the admin at all."""

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice

from segmenta.audit.admin import AuditedModelAdmin

from .models import ApiToken, Clinic, Membership, PractitionerProfile, TrainingRecord

User = get_user_model()

# Second factors are reset from the members page, lockouts with `segmenta axes_reset`;
# neither needs an unaudited admin page, and groups are not used.
for model in (TOTPDevice, AccessAttempt, AccessLog, AccessFailureLog, Group, User):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(User)
class AuditedUserAdmin(AuditedModelAdmin, UserAdmin):
    inlines = [MembershipInline]


@admin.register(Clinic)
class ClinicAdmin(AuditedModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(PractitionerProfile)
class PractitionerProfileAdmin(AuditedModelAdmin):
    """A server operator who sets a profession here vouches for it, like a clinic admin on
    the members page: the verification is stamped, never typed."""

    list_display = ["user", "profession", "licence_number", "licence_jurisdiction", "verified_by", "verified_at"]
    readonly_fields = ["verified_by", "verified_at"]

    def save_model(self, request, obj, form, change):
        if not change or set(form.changed_data) & set(obj.LICENCE_FIELDS):
            obj.set_licence(request.user, **{name: form.cleaned_data[name] for name in obj.LICENCE_FIELDS})
        super().save_model(request, obj, form, change)


@admin.register(TrainingRecord)
class TrainingRecordAdmin(AuditedModelAdmin):
    list_display = ["profile", "course", "provider", "date", "hours"]


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedModelAdmin):
    """Tokens can be looked at and revoked (by setting 'revoked'), never created here."""

    list_display = ["key_prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "key_prefix", "key_hash", "created_at", "last_used_at"]

    def has_add_permission(self, request):
        return False
