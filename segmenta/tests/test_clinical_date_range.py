"""The one place that says which dates and date-times are clinical values."""

from datetime import date, datetime, timedelta, timezone as tz

import pytest
from django.utils import timezone

from segmenta.validators import MAX_JSON_DEPTH, JSONTooDeep, load_json, nesting_depth, when_problem


def test_the_range_runs_from_1900_to_a_year_ahead():
    today = timezone.localdate()
    assert when_problem(date(1900, 1, 1)) is None and when_problem(today + timedelta(days=300)) is None
    assert when_problem(date(1899, 12, 31)) and when_problem(date(1, 1, 1))
    assert when_problem(today + timedelta(days=400))


def test_what_already_happened_is_not_in_the_future():
    today = timezone.localdate()
    assert when_problem(today, "today") is None and when_problem(today + timedelta(days=1), "today")
    now = timezone.now()
    assert when_problem(now + timedelta(minutes=5), "now") is None
    assert when_problem(now + timedelta(hours=2), "now")


def test_an_expiry_may_lie_years_ahead():
    assert when_problem(timezone.localdate() + timedelta(days=5 * 365), "expiry") is None
    assert when_problem(timezone.localdate() + timedelta(days=5 * 365))


@pytest.mark.parametrize("hours, minutes, refused", [(14, 0, False), (-12, 0, False), (14, 1, True),
                                                     (-15, 0, True), (16, 0, True), (23, 59, True)])
def test_utc_offsets_beyond_14_hours_are_refused(hours, minutes, refused):
    sign = -1 if hours < 0 else 1
    offset = tz(sign * timedelta(hours=abs(hours), minutes=minutes))
    problem = when_problem(datetime(2026, 11, 25, 10, 0, tzinfo=offset))
    assert bool(problem) == refused
    if refused:
        assert "14:00" in problem


def test_year_one_with_any_offset_answers_without_overflowing():
    for hours in (-23, 0, 23):
        assert when_problem(datetime(1, 1, 1, tzinfo=tz(timedelta(hours=hours))), "now")


def test_json_nesting_is_limited_without_recursion():
    assert nesting_depth({"a": [1, {"b": []}]}) == 4 and nesting_depth(5) == 0
    assert load_json("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH)
    for depth in (MAX_JSON_DEPTH + 1, 100_000):
        with pytest.raises(JSONTooDeep):
            load_json("[" * depth + "]" * depth)
