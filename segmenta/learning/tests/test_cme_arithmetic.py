"""The continuing-education arithmetic (segmenta/learning/cme.py): windows, credits, what is
missing by when, and expiring certificates, with the boundary days."""
from datetime import date
from decimal import Decimal

import pytest

from segmenta.learning import cme


def rec(day, credits=0, **kw):
    return cme.Record(day=date.fromisoformat(day), credits=Decimal(str(credits)), **kw)


GERMAN = cme.Requirement(credits=250, period_years=5, cycle_start=date(2022, 7, 1))


def test_fixed_period_holding_today():
    assert cme.window(5, date(2025, 11, 29), date(2022, 7, 1)) == (date(2022, 7, 1), date(2027, 6, 30), True)
    # the next period starts the day after the last one ends
    assert cme.window(5, date(2027, 7, 1), date(2022, 7, 1)) == (date(2027, 7, 1), date(2032, 6, 30), True)
    assert cme.window(5, date(2027, 6, 30), date(2022, 7, 1)) == (date(2022, 7, 1), date(2027, 6, 30), True)
    # many periods later, and a year before the anniversary
    assert cme.window(3, date(2040, 3, 1), date(2010, 6, 15)) == (date(2037, 6, 15), date(2040, 6, 14), True)


def test_before_the_cycle_starts_the_first_period_is_shown():
    assert cme.window(5, date(2020, 1, 1), date(2022, 7, 1)) == (date(2022, 7, 1), date(2027, 6, 30), True)


def test_rolling_window_ends_today():
    assert cme.window(5, date(2026, 11, 29)) == (date(2021, 11, 30), date(2026, 11, 29), False)


def test_leap_day_start_steps_to_28_february():
    assert cme.window(1, date(2025, 3, 1), date(2024, 2, 29)) == (date(2025, 2, 28), date(2026, 2, 27), True)


def test_credits_missing_by_the_periods_last_day():
    records = [rec("2023-03-10", 120), rec("2025-05-01", 96), rec("2021-12-01", 80)]  # the last is before
    found = cme.status(GERMAN, records, date(2026, 11, 29))
    assert found.earned == 216 and found.missing == 34 and found.due == date(2027, 6, 30)
    assert not found.met and [r.day for r in found.counted] == [date(2023, 3, 10), date(2025, 5, 1)]


def test_records_on_the_first_and_last_day_count_and_not_a_day_outside():
    records = [rec("2022-07-01", 100), rec("2027-06-30", 150), rec("2022-06-30", 500), rec("2027-07-01", 500)]
    found = cme.status(GERMAN, records, date(2027, 6, 30))
    assert found.earned == 250 and found.met and found.missing == 0


def test_more_than_enough_is_met_with_nothing_missing():
    found = cme.status(GERMAN, [rec("2024-01-01", 300)], date(2026, 1, 1))
    assert found.met and found.missing == 0 and found.earned == 300


def test_rolling_window_is_missing_now_without_a_due_date():
    requirement = cme.Requirement(credits=150, period_years=3)
    records = [rec("2023-11-30", 40), rec("2023-11-29", 60), rec("2026-01-01", 50.5)]
    found = cme.status(requirement, records, date(2026, 11, 29))
    assert found.first == date(2023, 11, 30) and found.earned == Decimal("90.5")
    assert found.missing == Decimal("59.5") and found.due is None and not found.fixed


def test_only_the_accepted_kinds_and_bodies_count():
    requirement = cme.Requirement(credits=20, period_years=1, kinds=("cme_event",), bodies=("landesaerztekammer",))
    records = [rec("2026-05-01", 8, kind="cme_event", body="landesaerztekammer"),
               rec("2026-05-02", 8, kind="course", body="landesaerztekammer"),
               rec("2026-05-03", 8, kind="cme_event", body="ignh")]
    found = cme.status(requirement, records, date(2026, 11, 29))
    assert found.earned == 8 and found.missing == 12


def test_a_record_without_credits_counts_nothing():
    found = cme.status(GERMAN, [cme.Record(day=date(2024, 1, 1), credits=None)], date(2026, 1, 1))
    assert found.earned == 0 and found.missing == 250


def test_expiring_and_expired_certificates():
    today = date(2026, 11, 29)
    records = [rec("2020-01-01", expiry=date(2026, 11, 28), key="yesterday"),
               rec("2020-01-01", expiry=today, key="today"),
               rec("2020-01-01", expiry=date(2027, 2, 27), key="in 90 days"),
               rec("2020-01-01", expiry=date(2027, 2, 28), key="in 91 days"),
               rec("2020-01-01", key="never")]
    found = cme.certificates(records, today)
    assert [r.key for r in found["expired"]] == ["yesterday"]
    assert [r.key for r in found["expiring"]] == ["today", "in 90 days"]


def test_a_period_of_no_years_is_refused():
    with pytest.raises(ValueError):
        cme.window(0, date(2026, 1, 1))
