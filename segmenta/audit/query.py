"""Which audit events a clinic admin may read, filtered by patient, user, action and date."""

from datetime import datetime, time

from django.db.models import Count, DateTimeField, Func, Max, Q
from django.utils import timezone

from segmenta.accounts.models import Membership
from segmenta.prepared import Prepared

from .models import Action, AuditEvent


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


class _Minute(Func):
    """A time cut to its minute, for grouping. Every time zone's offset from UTC is whole
    minutes, so UTC's minutes are everyone's: on SQLite, where Django stores a time as UTC
    text, the minute is the text's first 16 characters. (Django's TruncMinute calls a Python
    function for every row there, about 7 µs each.)"""

    output_field = DateTimeField()
    template = "date_trunc('minute', %(expressions)s)"

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="substr(%(expressions)s, 1, 16)", **extra)


# How many of a patient's latest events the chart's "Recent access" card looks through: a
# script reading a chart a thousand times must not make every view of it slower, and what
# lies beyond is in the trail itself (the audit pages), not lost.
RECENT_WINDOW = 1000


def _recent_lines(clinic_id, patient_id, window=RECENT_WINDOW):
    """(user name, action, latest time, how many) per user, action and minute among the
    patient's latest ``window`` events, newest first."""
    latest = AuditEvent.objects.filter(patient_id=patient_id).order_by("-id").values("id")[:window]
    return (AuditEvent.objects.filter(clinic_id=clinic_id, id__in=latest)
            .annotate(minute=_Minute("at")).values("username", "action", "minute")
            .annotate(newest=Max("id"), latest=Max("at"), count=Count("id")).order_by("-newest")
            .values_list("username", "action", "latest", "count"))


# The chart's card, on every view of a chart: its SQL is built once (building it took 0.6 of
# the 2 ms the card cost).
_RECENT_LINES = Prepared(_recent_lines, int, int)


# An action's words by its code (``get_action_display`` looks through every choice anew:
# 30 µs a line of the card).
_ACTION_WORDS = dict(Action.choices)


def recent_access(patient, shown=10, window=RECENT_WINDOW):
    """The latest accesses to ``patient``'s chart, one line per user, action and minute
    (reloading the chart ten times is one line "×10", not ten that hide everyone else),
    newest first: [{"event": …, "count": …, "action": its words}], the event unsaved, with
    its line's latest time. Grouped by the database among the latest ``window`` events, in
    one query."""
    if window == RECENT_WINDOW:
        lines = _RECENT_LINES(patient.clinic_id, patient.pk, limit=shown)
    else:
        lines = _recent_lines(patient.clinic_id, patient.pk, window)[:shown]
    return [{"event": AuditEvent(at=latest, username=username, action=action), "count": count,
             "action": _ACTION_WORDS.get(action, action)} for username, action, latest, count in lines]
