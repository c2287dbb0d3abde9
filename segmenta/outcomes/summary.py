"""The practice's outcomes, aggregated in SQL.

A complaint's baseline is the NRS before its first scored session, its latest the NRS
before its last one; it responds when the latest is at least 30 % lower (IMMPACT's
moderate improvement, knowledge base ``nrs-11``). Two populations, side by side:
completers (complaints with NRS scores from at least two sessions) and intention to
treat (every complaint with a baseline above 0; one without a later score counts as not
responding). Groups: body region, approach (interference field when an item was tested,
ganglionic when a ganglion was injected, segmental otherwise) and number of sessions.

One statement with window functions computes every complaint's figures (SQLite 3.25+ and
PostgreSQL alike); the groups are sums over that, also in SQL. Python only names groups.
"""

from django.db import connection
from django.db.models import Q

from segmenta.knowledge.base import load
from segmenta.treatment.models import AdverseEvent, Injection, Session

from .statistics import group

SESSION_BINS = [(1, 2, "1–2"), (3, 5, "3–5"), (6, 12, "6–12"), (13, 10_000, "13+")]


def _json_text(column, *path):
    """The text at ``path`` inside a JSON column, in this database's dialect."""
    if connection.vendor == "postgresql":
        return f"({column}::jsonb #>> '{{{','.join(map(str, path))}}}')"
    return f"json_extract({column}, '$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path) + "')"


def _per_complaint_sql(clinic_ids):
    """SQL and parameters for one row per complaint with a baseline: sessions, baseline,
    latest, sessions until response, completer, responder, region key and approach."""
    threshold = 1 - load().get("instrument-threshold", "nrs-11")["important_change"]["percent"] / 100
    ganglia = [g["target"] for g in load().all("ganglion")]
    field_targets = [t["id"] for t in load().all("technique") if t["approach"] == "interference_field"]
    clinics = ", ".join(["%s"] * len(clinic_ids))
    fields = ", ".join(["%s"] * len(field_targets))
    ganglion_list = ", ".join(["%s"] * len(ganglia))
    region = (f"COALESCE({_json_text('c.regions', 0, 'region')}, "
              f"'body-map ' || {_json_text('c.regions', 0, 'choir')})")
    sql = f"""
        WITH scored AS (
            SELECT cs.complaint_id, cs.session_id, cs.pre_nrs,
                   ROW_NUMBER() OVER (PARTITION BY cs.complaint_id ORDER BY se.started_at, cs.id) AS seq,
                   COUNT(*) OVER (PARTITION BY cs.complaint_id) AS sessions,
                   FIRST_VALUE(cs.pre_nrs) OVER (PARTITION BY cs.complaint_id ORDER BY se.started_at, cs.id)
                       AS baseline
            FROM treatment_complaintscore cs
            JOIN treatment_session se ON se.id = cs.session_id
            JOIN patients_complaint c ON c.id = cs.complaint_id
            JOIN patients_patient p ON p.id = c.patient_id
            WHERE p.clinic_id IN ({clinics})
        ),
        injected AS (
            SELECT s.complaint_id,
                   MAX(CASE WHEN i.history_item_id IS NOT NULL OR i.target IN ({fields}) THEN 1 ELSE 0 END) AS field,
                   MAX(CASE WHEN i.target IN ({ganglion_list}) THEN 1 ELSE 0 END) AS ganglionic
            FROM scored s JOIN treatment_injection i ON i.session_id = s.session_id
            GROUP BY s.complaint_id
        ),
        per_complaint AS (
            SELECT s.complaint_id, MAX(s.sessions) AS sessions, MAX(s.baseline) AS baseline,
                   MAX(CASE WHEN s.seq = s.sessions THEN s.pre_nrs END) AS latest,
                   MIN(CASE WHEN s.seq > 1 AND s.pre_nrs <= s.baseline * %s THEN s.seq END) AS to_response
            FROM scored s GROUP BY s.complaint_id
        )
        SELECT pc.complaint_id, pc.sessions, pc.baseline, pc.latest, pc.to_response,
               CASE WHEN pc.sessions >= 2 THEN 1 ELSE 0 END AS completer,
               CASE WHEN pc.sessions >= 2 AND pc.latest <= pc.baseline * %s THEN 1 ELSE 0 END AS responder,
               {region} AS region,
               CASE WHEN COALESCE(inj.field, 0) = 1 THEN 'interference_field'
                    WHEN COALESCE(inj.ganglionic, 0) = 1 THEN 'ganglionic' ELSE 'segmental' END AS approach
        FROM per_complaint pc
        JOIN patients_complaint c ON c.id = pc.complaint_id
        LEFT JOIN injected inj ON inj.complaint_id = pc.complaint_id
        WHERE pc.baseline > 0
    """
    params = [*clinic_ids, *field_targets, *ganglia, threshold, threshold]
    return sql, params


def _query(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


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
    base, params = _per_complaint_sql(clinic_ids)
    # One pass: counts per (region, approach, session bin, bin of sessions to response):
    # complaints with a baseline (intention to treat), completers among them, responders.
    # The few hundred resulting rows are then added up per dimension.
    cells = _query(f"""
        SELECT region, approach, {_bin("sessions")} AS sbin,
               CASE WHEN responder = 1 THEN {_bin("to_response")} END AS rbin,
               COUNT(*), SUM(completer), SUM(responder),
               SUM(CASE WHEN responder = 1 THEN to_response ELSE 0 END)
        FROM ({base}) t GROUP BY region, approach, sbin, rbin""", params)
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
    sessions = Session.objects.filter(patient__clinic__in=clinics)
    with_events = sessions.filter(pk__in=AdverseEvent.objects.values("session_id")).count()
    criteria = load().get("protocol", "huneke")["criteria"]
    tests = Injection.objects.filter(session__patient__clinic__in=clinics, history_item__isnull=False,
                                     relief_percent__isnull=False)
    huneke = tests.filter(
        relief_percent__gte=criteria["relief_percent_min"], onset_seconds__lte=criteria["onset_seconds_max"]
    ).filter(
        Q(history_item__kind="tooth", duration_hours__gte=criteria["duration_hours_min_tooth"])
        | Q(duration_hours__gte=criteria["duration_hours_min"])
    )
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
        "adverse_events": group("sessions with an adverse event", sessions.count(), with_events),
        "huneke": group("test injections meeting the Huneke criteria", tests.count(), huneke.count()),
    }
