"""How long a chart is kept, and from when it may be deleted. Pure Python (no Django).

The period is the clinic's own (``Clinic.retention_years``) or else the knowledge base's
``retention`` entry for the clinic's jurisdiction (a subdivision such as ES-CT falls back to
ES). Unknown never means "may go": a jurisdiction without an entry, an entry without a period,
or one whose law names only a minimum that regional rules extend (``clinic_must_confirm``)
makes no chart due until the clinic sets its own period.

The period runs from the last treatment (the latest session, else the chart's last entry)
or, where the entry says ``last_entry``, from the latest of any session or chart entry.
"""

import datetime
from dataclasses import dataclass

CLINIC = "clinic"  # the clinic set its own period
JURISDICTION = "jurisdiction"  # the knowledge base's period for the clinic's jurisdiction
TO_CONFIRM = "to_confirm"  # the law's minimum alone is not enough: the clinic must set its period
UNKNOWN = "unknown"  # no period known for the jurisdiction

PAST = "past"  # the period is over: the chart may be deleted
KEPT = "kept"  # within the period: kept, and an erasure request restricts processing instead
NO_PERIOD = "no_period"  # no known period: kept, and the clinic must set one


@dataclass(frozen=True)
class Period:
    years: int | None
    counted_from: str  # "last_treatment" or "last_entry"
    basis: str  # CLINIC, JURISDICTION, TO_CONFIRM or UNKNOWN
    rule: dict | None = None  # the knowledge base's entry, where there is one

    @property
    def known(self):
        """Whether charts may be deleted on this period."""
        return self.years is not None and self.basis in (CLINIC, JURISDICTION)


def rule_for(jurisdiction, entries):
    """The ``retention`` entry for a jurisdiction code (``entries`` by id), or None."""
    code = (jurisdiction or "").strip().upper()
    if not code:
        return None
    return entries.get(code) or entries.get(code.split("-")[0])


def period(clinic_years, jurisdiction, entries):
    """The period that applies to a clinic: its own setting first, else its jurisdiction's."""
    rule = rule_for(jurisdiction, entries)
    counted_from = rule["counted_from"] if rule else "last_treatment"
    if clinic_years:
        return Period(int(clinic_years), counted_from, CLINIC, rule)
    if rule is None:
        return Period(None, counted_from, UNKNOWN, None)
    if rule["years"] is None or rule["clinic_must_confirm"]:
        return Period(rule["years"], counted_from, TO_CONFIRM, rule)
    return Period(rule["years"], counted_from, JURISDICTION, rule)


def shortest_allowed(jurisdiction, entries):
    """The shortest period a clinic may set: its jurisdiction's (minimum) period, else None."""
    rule = rule_for(jurisdiction, entries)
    return rule["years"] if rule else None


def add_years(day, years):
    """``day`` plus whole years; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def start(kept_for, last_session, last_entry):
    """The day the period runs from: the last session, else the last entry (``last_treatment``),
    or the later of both (``last_entry``). ``last_entry`` is never None: a chart has at least
    the day it was opened."""
    if kept_for.counted_from == "last_entry":
        return max(d for d in (last_session, last_entry) if d is not None)
    return last_session or last_entry


def assess(kept_for, last_session, last_entry, today):
    """{"status": PAST | KEPT | NO_PERIOD, "from": date, "due": first day it may be deleted or None}."""
    begins = start(kept_for, last_session, last_entry)
    if not kept_for.known:
        return {"status": NO_PERIOD, "from": begins, "due": None}
    due = add_years(begins, kept_for.years) + datetime.timedelta(days=1)
    return {"status": PAST if today >= due else KEPT, "from": begins, "due": due}


NO_INVOICES = "no_invoices"  # nothing issued: nothing held
INVOICES_UNKNOWN = "invoices_unknown"  # issued invoices, and no known period for them: kept


def invoices_kept(rule, issue_dates):
    """How long a chart's issued invoices must be kept by tax law (the ``retention`` entry's
    ``invoice_years``, from the end of the year of issue): (NO_INVOICES, None) without any,
    (INVOICES_UNKNOWN, None) where the entry names no period, else ("until", the last day the
    latest of them must be kept)."""
    issued = [d for d in issue_dates if d is not None]
    if not issued:
        return NO_INVOICES, None
    years = (rule or {}).get("invoice_years")
    if not years:
        return INVOICES_UNKNOWN, None
    return "until", add_years(datetime.date(max(issued).year, 12, 31), years)
