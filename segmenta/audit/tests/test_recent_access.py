"""The chart's "Recent access" card: one line per user, action and minute, newest first,
worked out by the database among a patient's latest events."""

import datetime as dt

import pytest

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


def _sql_lines(patient, shown=10):
    from segmenta.audit.query import _recent_lines

    return [tuple(line) for line in _recent_lines(patient.clinic_id, patient.pk)[:shown]]


def _bulk(patient, events):
    for username, action, at in events:
        _event(patient, username, action, at)


def test_the_window_kept_by_the_process_shows_what_the_database_groups(patient, clinic):
    """On SQLite the card's lines come from a window of events each process moves on with
    the events new since it last looked; they are always those the database groups among the
    latest thousand, whatever came in between: a few, none, more than the window, times a
    little out of order, a trail rolled back and written anew."""
    import random

    from django.db import transaction

    from segmenta.audit import query
    from segmenta.conftest import make_patient

    other = make_patient(clinic, family="Zweite")
    rng = random.Random(13)
    at = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)

    def burst(chart, count):
        nonlocal at
        events = []
        for _ in range(count):
            at += dt.timedelta(seconds=rng.choice([0, 1, 7, 30, 61]), microseconds=rng.randrange(1000))
            # Now and then a time a little before the one recorded just before it.
            events.append((rng.choice(["doctor", "boss", "assist"]), rng.choice(["view", "view", "update", "export"]),
                           at - dt.timedelta(microseconds=rng.choice([0, 0, 0, 500]))))
        _bulk(chart, events)

    for count in [3, 0, 1, 40, 700, 0, 350, 1, 1, 1200, 5, 0, 999, 2]:
        burst(patient, count)
        burst(other, rng.randrange(3))
        for chart in (patient, other):
            assert _lines(chart) == _sql_lines(chart), count
        assert _lines(patient, shown=3) == _sql_lines(patient, shown=3)
    # Rolled back after a look: the ids it saw come again with other events.
    with transaction.atomic():
        sid = transaction.savepoint()
        burst(patient, 4)
        assert _lines(patient) == _sql_lines(patient)
        transaction.savepoint_rollback(sid)
    burst(patient, 6)
    assert _lines(patient) == _sql_lines(patient)
    from django.db import connection

    assert len(query._windows._windows) >= 2 or connection.vendor != "sqlite"


def test_a_window_moved_on_meanwhile_by_another_thread(patient, monkeypatch):
    from django.db import connection

    from segmenta.audit import query

    if connection.vendor != "sqlite":
        pytest.skip("windows are SQLite's: on PostgreSQL the database groups every time")

    at = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)
    _bulk(patient, [("doctor", "view", at)])
    _lines(patient)
    _bulk(patient, [("boss", "view", at + dt.timedelta(minutes=1))])
    reading = query._EVENTS_FROM

    def meanwhile(*args, **kwargs):
        monkeypatch.setattr(query, "_EVENTS_FROM", reading)
        _lines(patient)  # another view moves the window on while this one reads
        _bulk(patient, [("assist", "update", at + dt.timedelta(minutes=2))])
        return reading(*args, **kwargs)

    monkeypatch.setattr(query, "_EVENTS_FROM", meanwhile)
    assert _lines(patient) == _sql_lines(patient)
    assert [line[0] for line in _lines(patient)] == ["assist", "boss", "doctor"]


def test_the_window_holds_the_latest_thousand_even_within_one_line(patient):
    """A burst of views in one minute is one line; as more come, the oldest leave its count,
    and the latest time is that of those still in the window (times a little out of order)."""
    minute = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)
    _bulk(patient, [("boss", "view", minute - dt.timedelta(minutes=5))])
    _bulk(patient, [("doctor", "view", minute + dt.timedelta(seconds=50))])  # recorded first, timed later
    _bulk(patient, [("doctor", "view", minute + dt.timedelta(seconds=10))] * 998)
    assert _lines(patient) == _sql_lines(patient)
    assert [(user, count) for user, _action, _at, count in _lines(patient)] == [("doctor", 999), ("boss", 1)]
    _bulk(patient, [("doctor", "view", minute + dt.timedelta(seconds=20))])  # the boss's view leaves
    assert _lines(patient) == _sql_lines(patient) == [("doctor", "view", minute + dt.timedelta(seconds=50), 1000)]
    _bulk(patient, [("doctor", "view", minute + dt.timedelta(seconds=20))])  # and the one timed 9:00:50
    assert _lines(patient) == _sql_lines(patient) == [("doctor", "view", minute + dt.timedelta(seconds=20), 1000)]


def test_events_filed_under_another_clinic_count_toward_the_window_only(patient, other_clinic):
    """A patient moved between clinics has events in both: the window is the patient's latest
    thousand, of which the lines show the clinic's, as the database groups them; and more
    than a window of the other clinic's events in between does not hold the window back."""
    minute = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)

    def elsewhere(count, at):
        for _ in range(count):
            event = AuditEvent(at=at, username="elsewhere", clinic=other_clinic, patient=patient, action="view",
                               object_type="patient", object_id=str(patient.pk), detail={}, prev_hash="")
            event.hash = event.compute_hash()
            event.save()

    _bulk(patient, [("doctor", "view", minute)])
    assert _lines(patient) == _sql_lines(patient)
    elsewhere(1500, minute + dt.timedelta(minutes=1))
    _bulk(patient, [("newcomer", "export", minute + dt.timedelta(minutes=2))])
    assert _lines(patient) == _sql_lines(patient) == [("newcomer", "export", minute + dt.timedelta(minutes=2), 1)]
    elsewhere(500, minute + dt.timedelta(minutes=3))
    _bulk(patient, [("doctor", "view", minute + dt.timedelta(minutes=4))] * 3)
    assert _lines(patient) == _sql_lines(patient)
    elsewhere(600, minute + dt.timedelta(minutes=5))  # the newcomer's export leaves the window
    _bulk(patient, [("doctor", "view", minute + dt.timedelta(minutes=6))])
    assert _lines(patient) == _sql_lines(patient)
    assert [(user, count) for user, _action, _at, count in _lines(patient)] == [("doctor", 1), ("doctor", 3)]
