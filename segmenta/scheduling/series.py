"""When a course's sessions fall, and what an appointment would collide with: plain Python.

No Django here: the pages, the API and the tests hand in plain values (dates, times, a
``closed(day)`` predicate, the busy intervals) and get plain values back, so the rules can be
checked exhaustively (tests/test_series_properties.py) without a database.

The rules:
- A course is planned in a rhythm (weekly by default) from its first date. A planned date on
  a closed day (a closed weekday, a public holiday, a closure of the clinic) moves to the next
  open day and says why; the rhythm goes on from the planned dates, not from the moved one,
  so one holiday does not shift the rest of the course.
- Dates stay in order and never two on one day: a moved date that would reach the next
  planned one pushes that one on as well.
- An appointment conflicts with another active one of the same practitioner, the same room
  or the same patient whose time overlaps (touching ends do not overlap).
"""

import datetime
from dataclasses import dataclass, field

# How far a date may move before the course is refused: a clinic closed for longer than
# this around a planned date has no sensible next date to offer.
MAX_SHIFT_DAYS = 60

WEEKDAYS = range(7)  # Monday = 0 … Sunday = 6, as date.weekday()

# The reason of a date moved only because the one before it moved onto or past its day.
PUSHED = "pushed"


class SeriesError(ValueError):
    """A course that cannot be planned; ``field`` names the input at fault."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class PlannedDate:
    day: datetime.date  # the day it falls on
    planned: datetime.date  # the day the rhythm gave
    reason: str = ""  # why it moved (a holiday's or closure's name); empty when it did not

    @property
    def moved(self):
        return self.day != self.planned


def plan_dates(first, count, closed, interval_days=7):
    """The ``count`` days of a course from ``first``, every ``interval_days``.

    ``closed(day)`` answers why the clinic is closed that day (a non-empty text) or "" / None.
    Raises SeriesError when the input makes no course or a date finds no open day.
    """
    if count < 1:
        raise SeriesError("count", "A course has at least one appointment.")
    if count > 50:
        raise SeriesError("count", "A course has at most 50 appointments.")
    if not 1 <= interval_days <= 90:
        raise SeriesError("interval_days", "The interval lies between 1 and 90 days.")
    found = []
    earliest = first
    for number in range(count):
        planned = first + datetime.timedelta(days=number * interval_days)
        day = max(planned, earliest)
        reason = "" if day == planned else (closed(planned) or PUSHED)
        for _shift in range(MAX_SHIFT_DAYS + 1):
            why = closed(day)
            if not why:
                break
            reason = reason or why
            day += datetime.timedelta(days=1)
        else:
            raise SeriesError("starts_at", f"No open day within {MAX_SHIFT_DAYS} days of {planned.isoformat()}.")
        found.append(PlannedDate(day=day, planned=planned, reason=reason if day != planned else ""))
        earliest = day + datetime.timedelta(days=1)
    return found


def closed_predicate(closed_weekdays=(), holidays=None, closures=(), weekday_reason="Closed on this weekday"):
    """``closed(day)`` for a clinic: its closed weekdays, a mapping of public holidays
    (date → name, such as the ``holidays`` library gives) and its closures ((first, last,
    reason) tuples). The answer names the reason; a closure's own reason wins over a holiday's,
    which wins over the weekday's."""
    weekdays = frozenset(closed_weekdays)
    closures = tuple(closures)
    holidays = holidays if holidays is not None else {}

    def closed(day):
        for first, last, reason in closures:
            if first <= day <= last:
                return reason
        name = holidays.get(day)
        if name:
            return name
        if day.weekday() in weekdays:
            return weekday_reason(day) if callable(weekday_reason) else weekday_reason
        return ""

    return closed


# --- Conflicts ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Booking:
    """An appointment's slot: who, where, when. ``ref`` identifies a stored one (its id)."""

    starts_at: datetime.datetime
    ends_at: datetime.datetime
    practitioner: object
    patient: object
    room: object = None
    ref: object = None
    label: str = field(default="", compare=False)

    def overlaps(self, other):
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at


@dataclass(frozen=True)
class Conflict:
    field: str  # "practitioner", "room" or "patient"
    wanted: Booking
    other: Booking


# The order a conflict is reported in: who is double-booked matters before where.
CONFLICT_FIELDS = ("practitioner", "room", "patient")


def conflicts(wanted, busy):
    """Every way ``wanted`` collides with the bookings of ``busy`` (not with itself: a stored
    booking being moved is skipped by its ``ref``), at most one per field, in field order."""
    found = {}
    for other in sorted(busy, key=lambda b: (b.starts_at, str(b.ref))):
        if wanted.ref is not None and other.ref == wanted.ref:
            continue
        if not wanted.overlaps(other):
            continue
        for name in CONFLICT_FIELDS:
            mine = getattr(wanted, name)
            if name not in found and mine is not None and mine == getattr(other, name):
                found[name] = Conflict(name, wanted, other)
    return [found[name] for name in CONFLICT_FIELDS if name in found]


def series_conflicts(wanted, busy):
    """The conflicts of each booking of a series: with ``busy`` and with the series' own
    earlier bookings. A list of (index, [Conflict…]) for the bookings that have any."""
    found = []
    for index, booking in enumerate(wanted):
        clashes = conflicts(booking, [*busy, *wanted[:index]])
        if clashes:
            found.append((index, clashes))
    return found
