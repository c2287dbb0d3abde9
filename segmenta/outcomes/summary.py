"""The practice's outcomes, aggregated in SQL.

A complaint counts once it has NRS scores from at least two sessions. Its baseline is the
NRS before its first session, its latest the NRS before its last one; it responds when
the latest is at least 30 % lower (IMMPACT's moderate improvement, knowledge base
``nrs-11``). Groups: body region, approach (segmental, ganglionic, interference field,
from the targets injected) and number of sessions.
"""

from django.db.models import (
    Avg,
    Case,
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce, Concat

from segmenta.knowledge.base import load
from segmenta.patients.models import Complaint
from segmenta.treatment.models import AdverseEvent, ComplaintScore, Injection, Session

from .statistics import group

SESSION_BINS = [(1, 2, "1–2"), (3, 5, "3–5"), (6, 12, "6–12"), (13, 10_000, "13+")]
FIELD_TARGETS = ["scar", "tooth", "tonsil"]


def _ganglion_targets():
    return [g["target"] for g in load().all("ganglion")]


def scored_complaints(clinics):
    """Complaints of ``clinics`` with baseline, latest, sessions and approach, all in SQL."""
    scores = ComplaintScore.objects.filter(complaint=OuterRef("pk"))
    first = scores.order_by("session__started_at", "id").values("pre_nrs")[:1]
    last = scores.order_by("-session__started_at", "-id").values("pre_nrs")[:1]
    injections = Injection.objects.filter(session__scores__complaint=OuterRef("pk"))
    threshold = load().get("instrument-threshold", "nrs-11")["important_change"]["percent"] / 100
    return (
        Complaint.objects.filter(patient__clinic__in=clinics)
        .annotate(
            baseline=Subquery(first, output_field=IntegerField()),
            latest=Subquery(last, output_field=IntegerField()),
            # A subquery, not a join: the rows stay one per complaint, so groups count right.
            sessions=Subquery(scores.values("complaint").annotate(c=Count("id")).values("c")[:1],
                              output_field=IntegerField()),
            # The first region names the complaint's area: a named region, else its body-map segment.
            region=Coalesce(KT("regions__0__region"), Concat(Value("body-map "), KT("regions__0__choir")),
                            output_field=CharField()),
            field_test=Exists(injections.filter(Q(target__in=FIELD_TARGETS) | Q(history_item__isnull=False))),
            ganglionic=Exists(injections.filter(target__in=_ganglion_targets())),
        )
        .filter(sessions__gte=2, baseline__gt=0)
        .annotate(
            responder=Case(When(latest__lte=ExpressionWrapper(F("baseline") * Value(1 - threshold),
                                                              output_field=FloatField()), then=Value(1)),
                           default=Value(0), output_field=IntegerField()),
            approach=Case(When(field_test=True, then=Value("interference_field")),
                          When(ganglionic=True, then=Value("ganglionic")), default=Value("segmental"),
                          output_field=CharField()),
        )
    )


def sessions_to_response(complaints):
    """For responders: how many sessions until the NRS first fell 30 % below baseline."""
    threshold = load().get("instrument-threshold", "nrs-11")["important_change"]["percent"] / 100
    scores = ComplaintScore.objects.filter(complaint=OuterRef("pk"))
    first_response = scores.filter(pre_nrs__lte=ExpressionWrapper(OuterRef("baseline") * Value(1 - threshold),
                                                                  output_field=FloatField())
                                   ).order_by("session__started_at", "id").values("session__started_at")[:1]
    responders = complaints.filter(responder=1).annotate(first_response=Subquery(first_response))
    until = ComplaintScore.objects.filter(complaint=OuterRef("pk"),
                                          session__started_at__lte=OuterRef("first_response"))
    counted = responders.annotate(
        to_response=Subquery(until.values("complaint").annotate(c=Count("id")).values("c")[:1],
                             output_field=IntegerField()))
    # One query for the mean and every bin: the subqueries run once, not once per bin.
    rows = counted.aggregate(
        n=Count("pk"), mean=Avg("to_response"),
        **{f"bin{i}": Count("pk", filter=Q(to_response__gte=low, to_response__lte=high))
           for i, (low, high, _label) in enumerate(SESSION_BINS)})
    bins = [{"sessions": label, "n": rows[f"bin{i}"]} for i, (_low, _high, label) in enumerate(SESSION_BINS)]
    return {"n": rows["n"], "mean": round(rows["mean"], 2) if rows["mean"] is not None else None, "bins": bins}


def _groups(rows, key, name=lambda value: value or "unknown"):
    """Counts per group from SQL; ``name`` may merge groups (a few rows, not per patient)."""
    totals = {}
    for row in rows.values(key).annotate(n=Count("pk"), responders=Sum("responder")).order_by(key):
        label = name(row[key])
        n, k = totals.get(label, (0, 0))
        totals[label] = (n + row["n"], k + (row["responders"] or 0))
    return [group(label, n, k) for label, (n, k) in sorted(totals.items())]


def _region_name(value):
    """A body-map segment counts under the first region it covers."""
    if value and value.startswith("body-map "):
        segment = load().get("choir-segment", int(value.split()[1]))
        return segment["regions"][0] if segment else value
    return value or "unknown"


def summary(clinics):
    complaints = scored_complaints(clinics)
    overall = complaints.aggregate(n=Count("pk"), responders=Sum("responder"))
    totals = complaints.aggregate(**{
        f"{kind}{i}": (Count("pk", filter=Q(sessions__gte=low, sessions__lte=high)) if kind == "n" else
                       Sum("responder", filter=Q(sessions__gte=low, sessions__lte=high)))
        for i, (low, high, _label) in enumerate(SESSION_BINS) for kind in ("n", "k")})
    by_sessions = [group(label, totals[f"n{i}"], totals[f"k{i}"] or 0)
                   for i, (_low, _high, label) in enumerate(SESSION_BINS)]
    sessions = Session.objects.filter(patient__clinic__in=clinics)
    session_count = sessions.count()
    with_events = sessions.filter(Exists(AdverseEvent.objects.filter(session=OuterRef("pk")))).count()
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
        "overall": group("all", overall["n"], overall["responders"] or 0),
        "by_region": _groups(complaints, "region", _region_name),
        "by_approach": _groups(complaints, "approach"),
        "by_sessions": by_sessions,
        "sessions_to_response": sessions_to_response(complaints),
        "adverse_events": group("sessions with an adverse event", session_count, with_events),
        "huneke": group("test injections meeting the Huneke criteria", tests.count(), huneke.count()),
    }
