"""The practice's outcomes, from the figures kept per complaint and patient.

A complaint's baseline is the NRS before its first scored session, its latest the NRS
before its last one; it responds when the latest is at least 30 % lower (IMMPACT's
moderate improvement, knowledge base ``nrs-11``). Two populations, side by side:
completers (complaints with NRS scores from at least two sessions) and intention to
treat (every complaint with a baseline above 0; one without a later score counts as not
responding). Groups: body region, approach (interference field when an item was tested,
ganglionic when a ganglion was injected, segmental otherwise) and number of sessions.

The per-complaint and per-patient figures are kept current as sessions are charted
(``aggregates``); the groups are sums over them in SQL. Python only names groups.
"""

from segmenta.knowledge.base import load
from segmenta.replica import reading_connection

from . import aggregates
from .models import ComplaintOutcome, PatientOutcome
from .statistics import group

SESSION_BINS = [(1, 2, "1–2"), (3, 5, "3–5"), (6, 12, "6–12"), (13, 10_000, "13+")]


def _region_name(value):
    """A body-map segment counts under the first region it covers."""
    if value and value.startswith("body-map "):
        segment = load().get("choir-segment", int(value.split()[1]))
        return segment["regions"][0] if segment else value
    return value or "unknown"


def _bin(column):
    cases = " ".join(f"WHEN {column} BETWEEN {low} AND {high} THEN {i}" for i, (low, high, _l) in enumerate(SESSION_BINS))
    return f"CASE {cases} END"


def summary(clinics):
    clinic_ids = list(clinics.values_list("pk", flat=True)) or [0]
    aggregates.ensure_current()
    in_clinics = aggregates.placeholders(clinic_ids)
    # One pass: counts per (region, approach, session bin, bin of sessions to response):
    # complaints with a baseline (intention to treat), completers among them, responders.
    # The few hundred resulting rows are then added up per dimension.
    cells = aggregates.rows(f"""
        SELECT region, approach, {_bin("sessions")} AS sbin,
               CASE WHEN responder THEN {_bin("to_response")} END AS rbin,
               COUNT(*), SUM(CASE WHEN completer THEN 1 ELSE 0 END), SUM(CASE WHEN responder THEN 1 ELSE 0 END),
               SUM(CASE WHEN responder THEN to_response ELSE 0 END)
        FROM {ComplaintOutcome._meta.db_table} WHERE clinic_id IN ({in_clinics})
        GROUP BY region, approach, sbin, rbin""", clinic_ids, reading_connection())
    # dimension -> key -> [started (intention to treat), completers, responders]
    totals = {"overall": {}, "region": {}, "approach": {}, "sessions": {}}
    reached = [0] * len(SESSION_BINS)
    to_response_sum = 0
    for region, approach, sbin, rbin, started_n, completer_n, responder_n, sessions_sum in cells:
        # PostgreSQL sums come back as Decimal: counts are whole numbers.
        counts = (int(started_n), int(completer_n or 0), int(responder_n or 0))
        for dimension, key in (("overall", "all"), ("region", _region_name(region)), ("approach", approach),
                               ("sessions", sbin)):
            cell = totals[dimension].setdefault(key, [0, 0, 0])
            for i, value in enumerate(counts):
                cell[i] += value
        if rbin is not None:
            reached[rbin] += counts[0]
        to_response_sum += int(sessions_sum or 0)
    _started, n, responders = totals["overall"].get("all", (0, 0, 0))

    def completers(dimension):
        return [group(k, c, r) for k, (_s, c, r) in sorted(totals[dimension].items()) if c]

    def intention_to_treat(dimension):
        return [group(k, s, r) for k, (s, _c, r) in sorted(totals[dimension].items())]

    def session_bins(pick):
        return [group(label, *pick(totals["sessions"].get(i, (0, 0, 0))))
                for i, (_l, _h, label) in enumerate(SESSION_BINS)]
    sessions, with_events, tests, huneke = (int(value or 0) for value in aggregates.rows(f"""
        SELECT SUM(sessions), SUM(sessions_with_events), SUM(tests), SUM(huneke)
        FROM {PatientOutcome._meta.db_table} WHERE clinic_id IN ({in_clinics})""", clinic_ids,
        reading_connection())[0])
    return {
        "definition": "responder: NRS before the last session at least 30 % below the NRS before the first",
        "population": "completers: complaints with NRS before at least two sessions",
        "overall": group("all", n, responders),
        "by_region": completers("region"),
        "by_approach": completers("approach"),
        "by_sessions": session_bins(lambda cell: (cell[1], cell[2])),
        "intention_to_treat": {
            "population": "every complaint with a baseline NRS above 0; one without a later score "
                          "counts as not responding",
            "overall": intention_to_treat("overall")[0] if totals["overall"] else group("all", 0, 0),
            "by_region": intention_to_treat("region"),
            "by_approach": intention_to_treat("approach"),
            "by_sessions": session_bins(lambda cell: (cell[0], cell[2])),
        },
        "sessions_to_response": {"n": responders,
                                 "mean": round(to_response_sum / responders, 2) if responders else None,
                                 "bins": [{"sessions": label, "n": reached[i]}
                                          for i, (_l, _h, label) in enumerate(SESSION_BINS)]},
        "adverse_events": group("sessions with an adverse event", sessions, with_events),
        "huneke": group("test injections meeting the Huneke criteria", tests, huneke),
    }
