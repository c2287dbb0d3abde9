"""Which audit events a clinic admin may read, filtered by patient, user, action and date."""

from datetime import datetime, time

from django.db.models import Q
from django.utils import timezone

from segmenta.accounts.models import Membership

from .models import AuditEvent


# Events that belong to a person rather than a clinic: an admin sees them for members.
ACCOUNT_ACTIONS = ["login", "logout", "login_failed", "locked_out", "mfa_verified", "mfa_failed",
                   "mfa_enrolled", "reauth", "reauth_failed"]


def visible_events(user):
    """Events of the clinics ``user`` administers, plus the sign-ins of their members.

    Other clinic-less events stay hidden: they may describe work in another clinic.
    """
    admin_clinic_ids = list(
        Membership.objects.filter(user=user, role="admin").values_list("clinic_id", flat=True)
    )
    if not admin_clinic_ids:
        return AuditEvent.objects.none()
    member_ids = Membership.objects.filter(clinic_id__in=admin_clinic_ids).values("user_id")
    return AuditEvent.objects.filter(
        Q(clinic_id__in=admin_clinic_ids)
        | Q(clinic__isnull=True, user_id__in=member_ids, action__in=ACCOUNT_ACTIONS)
    )


def search(user, *, patient=None, username=None, action=None, date_from=None, date_to=None):
    events = visible_events(user)
    if patient is not None:
        events = events.filter(patient_id=patient)
    if username:
        events = events.filter(username__iexact=username)
    if action:
        events = events.filter(action=action)
    tz = timezone.get_current_timezone()
    if date_from:
        events = events.filter(at__gte=timezone.make_aware(datetime.combine(date_from, time.min), tz))
    if date_to:
        events = events.filter(at__lte=timezone.make_aware(datetime.combine(date_to, time.max), tz))
    return events.order_by("-id")
