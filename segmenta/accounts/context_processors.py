from django.conf import settings


def segmenta(request):
    user = getattr(request, "user", None)
    is_clinic_admin = False
    if user is not None and user.is_authenticated:
        is_clinic_admin = user.memberships.filter(role="admin").exists()
    return {
        "idle_timeout_seconds": int(settings.SEGMENTA_IDLE_TIMEOUT.total_seconds()),
        "is_clinic_admin": is_clinic_admin,
        "htmx": settings.HTMX,
    }
