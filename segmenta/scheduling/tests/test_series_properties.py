"""The pure rules of a course's dates and of conflicts (segmenta/scheduling/series.py), checked
for any clinic calendar hypothesis can think of: a course never lands on a closed day, keeps its
count and order, never puts two dates on one day, and moves only what it must."""

import dataclasses
import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segmenta.scheduling import series

START = datetime.date(2026, 1, 1)

days = st.dates(min_value=START, max_value=datetime.date(2027, 12, 31))
closed_weekdays = st.frozensets(st.integers(0, 6), max_size=5)
closed_days = st.frozensets(st.dates(min_value=START, max_value=datetime.date(2028, 6, 30)), max_size=60)


def predicate(weekdays, closed):
    return series.closed_predicate(weekdays, {day: "Holiday" for day in closed})


@settings(max_examples=300, deadline=None)
@given(first=days, count=st.integers(1, 20), interval=st.integers(1, 21), weekdays=closed_weekdays,
       closed=closed_days)
def test_a_course_keeps_its_count_order_and_open_days(first, count, interval, weekdays, closed):
    is_closed = predicate(weekdays, closed)
    try:
        planned = series.plan_dates(first, count, is_closed, interval)
    except series.SeriesError as error:
        # Only when a run of closed days is longer than the clinic allows a date to move.
        assert error.field == "starts_at"
        return
    assert len(planned) == count
    found = [p.day for p in planned]
    assert all(not is_closed(day) for day in found)
    assert all(a < b for a, b in zip(found, found[1:]))  # in order, never two on one day
    for number, p in enumerate(planned):
        assert p.planned == first + datetime.timedelta(days=number * interval)  # the rhythm goes on
        assert p.day >= p.planned
        assert p.moved == bool(p.reason)
        # A date on an open day that nothing pushed stays where the rhythm put it.
        pushed = number and found[number - 1] >= p.planned
        if not is_closed(p.planned) and not pushed:
            assert not p.moved


@settings(max_examples=200, deadline=None)
@given(first=days, count=st.integers(1, 12), weekdays=closed_weekdays, closed=closed_days)
def test_a_moved_date_is_the_next_open_day(first, count, weekdays, closed):
    is_closed = predicate(weekdays, closed)
    try:
        planned = series.plan_dates(first, count, is_closed)
    except series.SeriesError:
        return
    previous = None
    for p in planned:
        if p.moved and p.reason != series.PUSHED:
            # Moved for a closed day: the planned day was closed, and so was every day it passed
            # that the date before had not taken (a closed Sunday whose Monday the date before
            # took moves on to Tuesday, for the Sunday's reason).
            assert is_closed(p.planned)
            free = max(p.planned, previous + datetime.timedelta(days=1)) if previous else p.planned
            assert all(is_closed(free + datetime.timedelta(days=n)) for n in range((p.day - free).days))
        previous = p.day


def test_a_closed_day_pushed_past_a_taken_open_day_keeps_its_reason():
    """Found by the property above: weekly from a closed Sunday with only Fridays and Saturdays
    open, the first date takes the first open Friday; the second, planned on the next closed
    Sunday, moves past that Friday to the Saturday, for the Sunday's reason."""
    closed = predicate({0, 1, 2, 3, 6}, {datetime.date(2026, 5, 8), datetime.date(2026, 5, 9)})
    planned = series.plan_dates(datetime.date(2026, 5, 3), 2, closed)
    assert [p.day for p in planned] == [datetime.date(2026, 5, 15), datetime.date(2026, 5, 16)]
    assert [p.reason for p in planned] == ["Closed on this weekday"] * 2


def test_the_rhythm_continues_from_the_planned_dates_not_the_moved_one():
    # Weekly from Thursday 2026-12-17: Christmas Day (Friday 25th) is not hit, but a Thursday
    # closure on the 24th moves that date to the 28th (26th is St Stephen's, 27th a Sunday).
    closed = series.closed_predicate([6], {datetime.date(2026, 12, 25): "Christmas Day",
                                           datetime.date(2026, 12, 26): "Second Day of Christmas"},
                                     [(datetime.date(2026, 12, 24), datetime.date(2026, 12, 24), "Christmas Eve")])
    planned = series.plan_dates(datetime.date(2026, 12, 17), 4, closed)
    assert [p.day for p in planned] == [datetime.date(2026, 12, 17), datetime.date(2026, 12, 28),
                                        datetime.date(2026, 12, 31), datetime.date(2027, 1, 7)]
    assert [p.reason for p in planned] == ["", "Christmas Eve", "", ""]


def test_a_daily_course_pushes_the_next_date_when_one_moves_onto_it():
    closed = series.closed_predicate([], {datetime.date(2026, 5, 25): "Whit Monday"})
    planned = series.plan_dates(datetime.date(2026, 5, 24), 3, closed, interval_days=1)
    assert [p.day for p in planned] == [datetime.date(2026, 5, 24), datetime.date(2026, 5, 26),
                                        datetime.date(2026, 5, 27)]
    assert [p.reason for p in planned] == ["", "Whit Monday", series.PUSHED]


@pytest.mark.parametrize(("count", "interval", "field"), [(0, 7, "count"), (51, 7, "count"), (3, 0, "interval_days"),
                                                          (3, 91, "interval_days")])
def test_nonsense_input_names_its_field(count, interval, field):
    with pytest.raises(series.SeriesError) as refused:
        series.plan_dates(START, count, lambda day: "", interval)
    assert refused.value.field == field


def test_a_clinic_closed_for_months_refuses_the_course():
    closed = series.closed_predicate([], {}, [(START, START + datetime.timedelta(days=200), "Renovation")])
    with pytest.raises(series.SeriesError):
        series.plan_dates(START, 2, closed)


# --- Conflicts --------------------------------------------------------------------------

def at(hour, minute=0, day=1):
    return datetime.datetime(2026, 3, day, hour, minute, tzinfo=datetime.timezone.utc)


slots = st.builds(
    lambda start, minutes, practitioner, patient, room, ref: series.Booking(
        starts_at=at(8) + datetime.timedelta(minutes=5 * start),
        ends_at=at(8) + datetime.timedelta(minutes=5 * start + minutes), practitioner=practitioner,
        patient=patient, room=room, ref=ref),
    st.integers(0, 60), st.sampled_from([15, 30, 45, 60]), st.integers(1, 3), st.integers(1, 4),
    st.sampled_from([None, 1, 2]), st.integers(1, 10_000))


@settings(max_examples=300, deadline=None)
@given(wanted=slots, busy=st.lists(slots, max_size=8))
def test_a_conflict_is_reported_exactly_when_someone_or_somewhere_overlaps(wanted, busy):
    found = series.conflicts(wanted, busy)
    expected = set()
    for other in busy:
        if other.ref == wanted.ref or not (wanted.starts_at < other.ends_at and other.starts_at < wanted.ends_at):
            continue
        for name in series.CONFLICT_FIELDS:
            if getattr(wanted, name) is not None and getattr(wanted, name) == getattr(other, name):
                expected.add(name)
    assert {c.field for c in found} == expected
    assert [c.field for c in found] == [n for n in series.CONFLICT_FIELDS if n in expected]
    for conflict in found:
        assert conflict.other.overlaps(wanted)


@settings(max_examples=200, deadline=None)
@given(wanted=st.lists(slots, max_size=8))
def test_a_series_without_conflicts_never_overlaps_itself(wanted):
    wanted = [dataclasses.replace(w, ref=None) for w in wanted]  # a series to book: not stored yet
    clashes = series.series_conflicts(wanted, [])
    if not clashes:
        for i, a in enumerate(wanted):
            for b in wanted[:i]:
                assert not a.overlaps(b) or (a.practitioner != b.practitioner and a.patient != b.patient
                                             and (a.room is None or a.room != b.room))


def test_touching_appointments_do_not_conflict():
    first = series.Booking(starts_at=at(9), ends_at=at(9, 30), practitioner=1, patient=1, room=1, ref=1)
    second = series.Booking(starts_at=at(9, 30), ends_at=at(10), practitioner=1, patient=1, room=1)
    assert series.conflicts(second, [first]) == []


def test_a_moved_appointment_does_not_conflict_with_itself():
    stored = series.Booking(starts_at=at(9), ends_at=at(9, 30), practitioner=1, patient=1, ref=7)
    moved = series.Booking(starts_at=at(9, 15), ends_at=at(9, 45), practitioner=1, patient=1, ref=7)
    assert series.conflicts(moved, [stored]) == []
