"""The chart's "Recent access" card: one line per user, action and minute, newest first,
worked out by the database among a patient's latest events."""

import datetime as dt

from segmenta.audit.models import AuditEvent
from segmenta.audit.query import recent_access


def _event(patient, username, action, at):
    event = AuditEvent(at=at, username=username, clinic=patient.clinic, patient=patient, action=action,
                       object_type="patient", object_id=str(patient.pk), detail={}, prev_hash="")
    event.hash = event.compute_hash()
    event.save()
    return event


def _lines(patient, **options):
    return [(line["event"].username, line["event"].action, line["event"].at, line["count"])
            for line in recent_access(patient, **options)]


def test_lines_group_user_action_and_minute_newest_first(patient):
    at = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)
    _event(patient, "doctor", "view", at + dt.timedelta(seconds=5))
    _event(patient, "boss", "view", at + dt.timedelta(seconds=20))
    _event(patient, "doctor", "view", at + dt.timedelta(seconds=59, microseconds=999_999))
    _event(patient, "doctor", "view", at + dt.timedelta(minutes=1))  # the next minute: a line of its own
    _event(patient, "doctor", "export", at + dt.timedelta(minutes=1, seconds=2))
    assert _lines(patient) == [
        ("doctor", "export", at + dt.timedelta(minutes=1, seconds=2), 1),
        ("doctor", "view", at + dt.timedelta(minutes=1), 1),
        # The doctor's two views of 9:00 are one line, at the later time, above the boss's
        # view that came between them.
        ("doctor", "view", at + dt.timedelta(seconds=59, microseconds=999_999), 2),
        ("boss", "view", at + dt.timedelta(seconds=20), 1),
    ]


def test_minutes_are_the_clinics_in_a_time_zone_off_by_minutes(patient, settings):
    # Nepal is 5:45 ahead of UTC: its minutes start when UTC's do.
    settings.TIME_ZONE = "Asia/Kathmandu"
    at = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)
    _event(patient, "doctor", "view", at - dt.timedelta(microseconds=1))
    _event(patient, "doctor", "view", at)
    _event(patient, "doctor", "view", at + dt.timedelta(seconds=59))
    assert [count for *_, count in _lines(patient)] == [2, 1]


def test_only_the_latest_events_and_only_this_patients(patient, clinic):
    from segmenta.conftest import make_patient

    other = make_patient(clinic, family="Zweite")
    at = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)
    _event(patient, "boss", "view", at)
    for second in range(1, 4):
        _event(patient, "doctor", "view", at + dt.timedelta(seconds=second))
    _event(other, "doctor", "update", at + dt.timedelta(seconds=5))
    assert _lines(patient, window=3) == [("doctor", "view", at + dt.timedelta(seconds=3), 3)]
    assert _lines(patient, window=4)[-1] == ("boss", "view", at, 1)
    assert _lines(patient, shown=1) == [("doctor", "view", at + dt.timedelta(seconds=3), 3)]
