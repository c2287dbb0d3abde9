from django.conf import settings

from segmenta.prepared import Prepared

from .access import OUTCOME_ROLES
from .models import Membership, Role

# On every page: its SQL is built once (segmenta/prepared.py).
_MEMBERSHIPS = Prepared(lambda user_id: Membership.objects.filter(user_id=user_id).order_by().values_list(
    "clinic_id", "role"), int)


def segmenta(request):
    """What every page needs to know about the user: the menu offers only what they may open.
    Worked out once per request (the chart page asks before it renders)."""
    found = getattr(request, "_segmenta_context", None)
    if found is None:
        found = request._segmenta_context = _segmenta(request)
    return found


def _segmenta(request):
    user = getattr(request, "user", None)
    memberships = []
    if user is not None and user.is_authenticated:
        memberships = _MEMBERSHIPS(user.pk)  # one query for every menu entry
    roles = {role for _clinic, role in memberships}
    return {
        "idle_timeout_seconds": int(settings.SEGMENTA_IDLE_TIMEOUT.total_seconds()),
        "is_clinic_admin": Role.ADMIN in roles,
        # The clinics whose admin the user is (a patient's page offers the erasure request there).
        "admin_clinic_ids": {clinic for clinic, role in memberships if role == Role.ADMIN},
        "sees_outcomes": bool(roles & set(OUTCOME_ROLES)),
        "htmx": settings.HTMX,
    }
