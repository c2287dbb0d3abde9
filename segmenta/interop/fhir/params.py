"""Reading FHIR search parameters: dates with prefixes (ge, le, gt, lt, eq, ne), tokens
(system|code), references (Patient/123) and _count, each refused with a message naming
the parameter when it cannot be read."""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Q
from django.utils import timezone

DEFAULT_COUNT = 50
MAX_COUNT = 1000
PREFIXES = ("eq", "ne", "ge", "le", "gt", "lt")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


class BadParameter(ValueError):
    """A search parameter that cannot be read: the message names it."""


@dataclass(frozen=True)
class DateRange:
    """A search date as the half-open range of instants it stands for (2019-06 is all of June)."""

    prefix: str
    start: datetime
    end: datetime  # exclusive

    def first_day(self):
        return timezone.localtime(self.start).date()

    def last_day(self):
        return timezone.localtime(self.end - timedelta(microseconds=1)).date()


def _next_month(year, month):
    return (year + 1, 1) if month == 12 else (year, month + 1)


def date_range(name, raw):
    prefix = raw[:2] if raw[:2] in PREFIXES else "eq"
    value = raw[2:] if raw[:2] in PREFIXES else raw
    found = _DATE.match(value)
    try:
        if found:
            year, month, day = (int(part) if part else None for part in found.groups())
            if day is not None:
                first = date(year, month, day)
                last = first + timedelta(days=1)
            elif month is not None:
                first = date(year, month, 1)
                last = date(*_next_month(year, month), 1)
            else:
                first, last = date(year, 1, 1), date(year + 1, 1, 1)
            start = timezone.make_aware(datetime.combine(first, datetime.min.time()))
            end = timezone.make_aware(datetime.combine(last, datetime.min.time()))
        else:
            start = datetime.fromisoformat(value.replace("Z", "+00:00"))
            end = start + timedelta(seconds=1)
    except (ValueError, OverflowError):
        raise BadParameter(f"{name}: not a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD or a dateTime, "
                           f"optionally after ge, le, gt, lt, eq or ne), got {raw!r}") from None
    if start.tzinfo is None:
        raise BadParameter(f"{name}: a date with a time needs its time zone (Z or +01:00), got {raw!r}")
    return DateRange(prefix, start, end)


def instant_q(field, wanted):
    """The rows whose datetime or date ``field`` falls as ``wanted`` says."""
    return _range_q(field, wanted, wanted.start, wanted.end)


def day_q(field, wanted):
    """The same for a DateField: a day counts whole."""
    return _range_q(field, wanted, wanted.first_day(), wanted.last_day() + timedelta(days=1))


def _range_q(field, wanted, start, end):
    queries = {
        "eq": Q(**{f"{field}__gte": start, f"{field}__lt": end}),
        "ge": Q(**{f"{field}__gte": start}),
        "gt": Q(**{f"{field}__gte": end}),
        "le": Q(**{f"{field}__lt": end}),
        "lt": Q(**{f"{field}__lt": start}),
    }
    if wanted.prefix == "ne":
        return ~queries["eq"] & Q(**{f"{field}__isnull": False})
    return queries[wanted.prefix]


def partial_date_q(low, high, wanted):
    """For a partial date (YYYY, YYYY-MM or YYYY-MM-DD, kept as text): ``low`` and ``high``
    are its first and last day as text (2019-06 → 2019-06-01 and 2019-06-31, which sorts
    after every day of June); a range is matched as FHIR matches ranges."""
    first, last = wanted.first_day().isoformat(), wanted.last_day()
    # Against ``high`` a month's last day is written as ``high`` writes it (June's 30th as 06-31).
    last_as_high = last.strftime("%Y-%m-31") if (last + timedelta(days=1)).day == 1 else last.isoformat()
    last = last.isoformat()
    eq = Q(**{f"{low}__gte": first, f"{high}__lte": last_as_high})
    return {
        "eq": eq,
        "ne": ~eq,
        "ge": Q(**{f"{high}__gte": first}),
        "gt": Q(**{f"{high}__gt": last_as_high}),
        "le": Q(**{f"{low}__lte": last}),
        "lt": Q(**{f"{low}__lt": first}),
    }[wanted.prefix]


def tokens(name, raw):
    """[(system or None, code)] of a token parameter (comma-separated: any of them)."""
    found = []
    for part in raw.split(","):
        system, bar, code = part.rpartition("|")
        if not code:
            raise BadParameter(f"{name}: a code is missing in {raw!r} (write code or system|code)")
        found.append((system if bar and system else None, code))
    return found


def reference_id(name, raw, resource_type):
    """The id of ``Patient/123`` or ``123``."""
    value = raw.removeprefix(f"{resource_type}/")
    if not re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", value):
        raise BadParameter(f"{name}: not a {resource_type} reference (write {resource_type}/ID or ID), got {raw!r}")
    return value


def number(name, raw, low, high, default):
    if raw is None:
        return default
    if not re.fullmatch(r"\d{1,9}", raw):
        raise BadParameter(f"{name}: not a whole number, got {raw!r}")
    value = int(raw)
    if value < low:
        raise BadParameter(f"{name}: at least {low}, got {value}")
    return min(value, high)


def prefer(header):
    """The preferences of a ``Prefer`` header (RFC 7240) as lower-case tokens: several may
    come comma-separated or ';'-separated ("respond-async, handling=lenient"), with spaces
    around '=' or not."""
    return {re.sub(r"\s*=\s*", "=", part.strip()).lower()
            for item in (header or "").split(",") for part in item.split(";") if part.strip()}


def type_names(raw, allowed, what, name="_type"):
    """``_type`` (comma-separated, repeatable) as the names asked for, in ``allowed``'s order;
    None when not given; BadParameter naming a name not among ``allowed`` (``what`` says
    which those are) or an empty one."""
    if not raw:
        return None
    wanted = [part.strip() for value in raw for part in value.split(",")]
    unknown = [part for part in wanted if part not in allowed]
    if unknown or not all(wanted):
        raise BadParameter(f"{name}: {', '.join(repr(n) for n in unknown) or 'an empty name'} is not one of "
                           f"{what} ({', '.join(allowed)})")
    return [part for part in allowed if part in wanted]


def instant(name, raw):
    """A FHIR instant (date, time and zone) as an aware datetime; None when not given."""
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00")) if "T" in raw else None
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise BadParameter(f"{name}: not a FHIR instant with its time zone (e.g. 2026-01-31T08:00:00Z), got {raw!r}")
    return value
