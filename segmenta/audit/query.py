"""Which audit events a clinic admin may read, filtered by patient, user, action and date."""

import bisect
import heapq
import threading
from collections import OrderedDict, deque
from datetime import UTC, datetime, time

from django.db import connections
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
    its line's latest time. Grouped among the latest ``window`` events: by the database in
    one query, or on SQLite by the process from the events new since it last looked
    (_Windows)."""
    using = patient._state.db or "default"
    if window != RECENT_WINDOW:
        lines = _recent_lines(patient.clinic_id, patient.pk, window)[:shown]
    elif connections[using].vendor == "sqlite":
        lines = _windows.lines(using, patient.clinic_id, patient.pk, shown)
    else:
        lines = _RECENT_LINES(patient.clinic_id, patient.pk, limit=shown, using=using)
    return [{"event": AuditEvent(at=latest, username=username, action=action), "count": count,
             "action": _ACTION_WORDS.get(action, action)} for username, action, latest, count in lines]


# The patient's events from one id on and the latest, in the order of their ids: (id, hash,
# clinic, user name, action, time). Of every clinic, as the database's grouping takes the
# patient's latest events before it keeps the clinic's (a patient moved between clinics has
# events in both): so the window's edge is where the database's is.
_EVENTS_FROM = Prepared(lambda patient_id, first: AuditEvent.objects.filter(
    patient_id=patient_id, id__gte=first).order_by("id").values_list(
    "id", "hash", "clinic_id", "username", "action", "at"), int, int)
_LATEST_EVENTS = Prepared(lambda patient_id: AuditEvent.objects.filter(patient_id=patient_id).order_by(
    "-id").values_list("id", "hash", "clinic_id", "username", "action", "at"), int)


class _Window:
    """One patient's latest ``RECENT_WINDOW`` events and the lines of those of ``clinic_id``:
    {(user name, action, minute): [newest id, the times in order]}."""

    def __init__(self, clinic_id, rows):
        self.clinic_id, self.events, self.lines, self.last = clinic_id, deque(), {}, None
        self.add(rows)

    def add(self, rows):
        for event_id, event_hash, clinic_id, username, action, at in rows:
            key = (username, action, at.astimezone(UTC).replace(second=0, microsecond=0))
            if clinic_id == self.clinic_id:
                line = self.lines.setdefault(key, [0, []])
                line[0] = event_id
                bisect.insort(line[1], at)
            self.events.append((clinic_id, key, at))
            self.last = (event_id, event_hash)
        while len(self.events) > RECENT_WINDOW:
            clinic_id, key, at = self.events.popleft()
            if clinic_id == self.clinic_id:
                times = self.lines[key][1]
                del times[bisect.bisect_left(times, at)]
                if not times:
                    del self.lines[key]

    def top(self, shown):
        found = heapq.nlargest(shown, self.lines.items(), key=lambda item: item[1][0])
        return [(username, action, times[-1], len(times)) for (username, action, _minute), (_id, times) in found]


class _Windows:
    """Each recently shown patient's window of events, kept up to date by the process.

    Why: grouping a thousand events in the database took a third of a chart page, and the
    next view of the chart has only a few new ones (its own among them). Each view reads the
    events from the last one this process saw: that one must come back unchanged (else the
    trail is not the one the window was built from, say restored from a backup, and the
    window is read anew), and the others are new. Only on SQLite, where one writer at a time
    means events are committed in the order of their ids, so none can appear later below an
    id already seen; on PostgreSQL a transaction's event can, and the database groups."""

    KEPT = 64  # patients per process; a full window is about 350 kilobytes

    def __init__(self):
        self._windows, self._lock = OrderedDict(), threading.Lock()

    def clear(self):
        with self._lock:
            self._windows.clear()

    def lines(self, using, clinic_id, patient_id, shown):
        key = (using, connections[using].settings_dict["NAME"], clinic_id, patient_id)
        with self._lock:
            window = self._windows.get(key)
            last = window.last if window is not None else None
        rows = fresh = None
        if last is not None:  # (at most a window of new ones: past that, reading anew costs no more)
            rows = _EVENTS_FROM(patient_id, last[0], using=using, limit=RECENT_WINDOW + 2)
        if not rows or (rows[0][0], rows[0][1]) != last or len(rows) > RECENT_WINDOW + 1:
            fresh = self._read(using, clinic_id, patient_id)
        with self._lock:
            if fresh is not None:
                window = self._windows[key] = fresh
            elif self._windows.get(key) is window and window.last == last:
                window.add(rows[1:])
            else:  # another thread of this process moved the window on meanwhile
                window = None
                self._windows.pop(key, None)
            if window is not None:
                self._windows.move_to_end(key)
                while len(self._windows) > self.KEPT:
                    self._windows.popitem(last=False)
                return window.top(shown)
        return self._read(using, clinic_id, patient_id).top(shown)

    @staticmethod
    def _read(using, clinic_id, patient_id):
        return _Window(clinic_id, reversed(_LATEST_EVENTS(patient_id, using=using, limit=RECENT_WINDOW)))


_windows = _Windows()
