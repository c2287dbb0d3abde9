"""Continuing-education arithmetic: how far a practitioner's recorded credits go towards a
requirement, and which certificates expire. Pure Python on plain data (no Django), so the
pages, the team view and the tests all count the same way.

Decisions (a neural-therapy teacher and a chamber's CME office would expect these):

- Periods. A requirement with a cycle start counts in *fixed* periods: the first starts on
  that day, each lasts ``period_years`` and the next starts the day after (§95d SGB V counts
  each physician's own five-year period from their admission; the SIWF and the ÖÄK count
  fixed periods too). The credits of the period that holds ``today`` count, and whatever is
  missing is due on the period's last day. Without a known start the window *rolls*: the last
  ``period_years`` up to today, and what is missing is missing now (no due date).
- A period includes both its first and its last day. A start on 29 February steps to
  28 February in a year without one.
- A record counts on its date (the day the credits were earned); its certificate's expiry does
  not take earned credits away.
- A certificate is valid up to and including its expiry day; it is *expiring* from
  ``EXPIRING_DAYS`` days before that, and *expired* from the day after.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

EXPIRING_DAYS = 90


@dataclass(frozen=True)
class Record:
    """One continuing-education record as the arithmetic needs it."""

    day: date
    credits: Decimal = Decimal(0)
    kind: str = ""
    body: str = ""
    expiry: date | None = None
    key: object = None  # the caller's own handle (a primary key), given back untouched


@dataclass(frozen=True)
class Requirement:
    """``credits`` within each ``period_years``; only records of ``kinds`` and from ``bodies``
    count where those are given (empty: any)."""

    credits: int
    period_years: int
    cycle_start: date | None = None
    kinds: tuple = ()
    bodies: tuple = ()


@dataclass
class Status:
    first: date  # the window's first day
    last: date  # its last day (today for a rolling window)
    fixed: bool  # a fixed period (due on ``last``) or a rolling window (missing now)
    earned: Decimal
    missing: Decimal
    counted: list = field(default_factory=list)  # the records that counted

    @property
    def met(self):
        return self.missing == 0

    @property
    def due(self):
        """The day by which the missing credits are due: the period's last day; None for a
        rolling window, where they are missing now."""
        return self.last if self.fixed else None


def add_years(day, years):
    """``day`` moved by whole years; 29 February becomes 28 February where there is none."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def window(period_years, today, cycle_start=None):
    """(first, last, fixed): the period holding ``today``, both days inclusive.

    Fixed periods from ``cycle_start``: before the start, the first period (nothing is due
    before it ends). Without a start, the rolling window of the last ``period_years`` ending
    today."""
    if period_years < 1:
        raise ValueError("period_years must be at least 1")
    if cycle_start is None:
        return add_years(today, -period_years) + timedelta(days=1), today, False
    periods = max(0, (today.year - cycle_start.year) // period_years)
    first = add_years(cycle_start, periods * period_years)
    while first > today and periods > 0:  # not yet at this year's anniversary
        periods -= 1
        first = add_years(cycle_start, periods * period_years)
    while add_years(cycle_start, (periods + 1) * period_years) <= today:
        periods += 1
        first = add_years(cycle_start, periods * period_years)
    return first, add_years(cycle_start, (periods + 1) * period_years) - timedelta(days=1), True


def counts_for(requirement, record):
    """Whether ``record`` is of a kind and from a body the requirement accepts."""
    return ((not requirement.kinds or record.kind in requirement.kinds)
            and (not requirement.bodies or record.body in requirement.bodies))


def status(requirement, records, today):
    """Where ``records`` stand against ``requirement`` on ``today``."""
    first, last, fixed = window(requirement.period_years, today, requirement.cycle_start)
    counted = sorted((r for r in records if first <= r.day <= min(last, today) and counts_for(requirement, r)),
                     key=lambda r: r.day)
    earned = sum((Decimal(r.credits or 0) for r in counted), Decimal(0))
    missing = max(Decimal(0), Decimal(requirement.credits) - earned)
    return Status(first=first, last=last, fixed=fixed, earned=earned, missing=missing, counted=counted)


def expired(record, today):
    return record.expiry is not None and record.expiry < today


def expiring(record, today, days=EXPIRING_DAYS):
    """Valid today but not ``days`` days from now."""
    return record.expiry is not None and today <= record.expiry <= today + timedelta(days=days)


def certificates(records, today, days=EXPIRING_DAYS):
    """{"expiring": [...], "expired": [...]}, each by expiry, soonest first."""
    by_expiry = sorted((r for r in records if r.expiry is not None), key=lambda r: r.expiry)
    return {"expiring": [r for r in by_expiry if expiring(r, today, days)],
            "expired": [r for r in by_expiry if expired(r, today)]}
