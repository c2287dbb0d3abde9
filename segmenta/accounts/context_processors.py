from django.conf import settings

from .access import OUTCOME_ROLES
from .models import Role


def segmenta(request):
    """What every page needs to know about the user: the menu offers only what they may open."""
    user = getattr(request, "user", None)
    roles = set()
    if user is not None and user.is_authenticated:
        roles = set(user.memberships.values_list("role", flat=True))  # one query for every menu entry
    return {
        "idle_timeout_seconds": int(settings.SEGMENTA_IDLE_TIMEOUT.total_seconds()),
        "is_clinic_admin": Role.ADMIN in roles,
        "sees_outcomes": bool(roles & set(OUTCOME_ROLES)),
        "htmx": settings.HTMX,
    }
