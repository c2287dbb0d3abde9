"""What the chart's body map and dental chart show: pure functions over chart items."""

from segmenta.knowledge.base import load

from .bodymap import segments
from .plot import course_chart, defines_band, important_band


def body_map_marks(complaints, history, injections=()):
    """{CHOIR id: {"complaints": [...], "history": [...], "injections": [...]}} for items
    placed on the map.

    Named regions (``{"region": "shoulder"}``) mark every segment that covers that
    region on the item's side, so items entered without the map still show on it.
    """
    marks = {}
    for key, items in (("complaints", complaints), ("history", history), ("injections", injections)):
        for item in items:
            for choir_id in segments_of(item.regions):
                marks.setdefault(choir_id, {"complaints": [], "history": [], "injections": []})[key].append(item)
    return marks


def segments_of(regions):
    found = []
    for region in regions or []:
        if "choir" in region:
            candidates = [region["choir"]]
        else:
            side = region.get("side")
            candidates = [sid for sid, seg in segments().items()
                          if region["region"] in seg["regions"] and (side in (None, "both", "midline")
                                                                     or seg["side"] == side)]
        found.extend(c for c in candidates if c not in found)
    return found


def map_regions(segment_ids):
    """Body-map regions ([{"choir": 107, "side": "right"}]) for segment ids as given in a
    link (text); ids that are no CHOIR segment, and repeats, are left out."""
    known = segments()
    placed = []
    for raw in segment_ids:
        choir_id = int(raw) if str(raw).isdigit() else None
        if choir_id in known and all(r["choir"] != choir_id for r in placed):
            placed.append({"choir": choir_id, "side": known[choir_id]["side"]})
    return placed


def tooth_marks(history):
    """{FDI number: [history items]} for the dental chart."""
    marks = {}
    for item in history:
        if item.tooth:
            marks.setdefault(item.tooth, []).append(item)
    return marks


def nrs_courses(complaints, sessions, day=None, injected=None, scores=None):
    """Per complaint with scores, its course chart: the NRS before and after each session
    (before → after as a pair) on the scale the knowledge base gives, sessions with
    injections marked, and the band of an important improvement on the first score.

    ``sessions`` oldest first, with their ``scores`` and ``injections`` (or ``injected``,
    the ids of the sessions with injections; ``scores``, their scores as (session id,
    complaint id, NRS before, NRS after): a long course has hundreds, which need not each
    become an object). ``day`` gives a session's calendar day in the clinic's time zone
    (default: its start's own date).
    """
    day = day or (lambda moment: moment.date())
    kb = load()
    threshold = kb.get("instrument-threshold", "nrs-11")
    lo, hi = threshold["range"]["min"], threshold["range"]["max"]
    sources = [kb.source(s)["name"] for s in threshold.get("sources", []) if kb.source(s)]
    if scores is None:
        scores = [(score.session_id, score.complaint_id, score.pre_nrs, score.post_nrs)
                  for session in sessions for score in session.scores.all()]
    scores = {(session_id, complaint_id): (before, after) for session_id, complaint_id, before, after in scores}
    days = {}  # each session's day worked out once, not once per complaint
    courses = []
    for complaint in complaints:
        points = []
        for session in sessions:
            score = scores.get((session.pk, complaint.pk))
            if score is not None:
                if session.pk not in days:
                    days[session.pk] = day(session.started_at)
                points.append({"when": session.started_at, "day": days[session.pk], "value": score[0],
                               "after": score[1],
                               "marked": session.pk in injected if injected is not None
                               else bool(session.injections.all())})
        if not points:
            continue
        band = important_band(points[0]["value"], threshold, lo, hi)
        courses.append({"complaint": complaint, "chart": course_chart(points, lo, hi, band), "band": band,
                        # Why there is no band: the base gives no threshold, or the first score is as good as it gets.
                        "no_band": None if band else ("no_room" if defines_band(threshold) else "no_threshold"),
                        "first": points[0], "latest": points[-1], "sources": sources,
                        "any_after": any(p["after"] is not None for p in points),
                        "any_marked": any(p["marked"] for p in points)})
    return courses


# --- Reviewed states: unknown is not none ---------------------------------------------

def latest(items, key=lambda item: (item.date, item.pk)):
    """The newest of ``items`` by (date, id), or None."""
    return max(items, key=key, default=None)


def list_review(items, reviews, kind):
    """What the chart can say about the allergy or medication list.

    ``state`` is "not_reviewed" (never reviewed: unknown, not none), "none_known" (reviewed
    and no active entry: "no known drug allergies", "no regular medication") or
    "complete" (reviewed, entries listed); ``review`` is the latest review of that list.
    """
    review = latest([r for r in reviews if r.kind == kind])
    if review is None:
        state = "not_reviewed"
    elif not any(item.active for item in items):
        state = "none_known"
    else:
        state = "complete"
    return {"state": state, "review": review}


def age_on(birth_date, day):
    """Completed years of life on ``day``."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def pregnancy_review(sex, birth_date, statuses, today, rule):
    """Whether a pregnancy status matters for this person and whether the newest is current.

    ``rule`` is the knowledge base's pregnancy-status rule ({"valid_days": 30, "ages":
    {"min": 12, "max": 55}}) or None where the base has none yet: then every person who is
    not male counts, and no status is called out of date because no period is known
    (``validity_known`` is False, so the page can say so).
    """
    ages = (rule or {}).get("ages") or {}
    valid_days = (rule or {}).get("valid_days")
    age = age_on(birth_date, today)
    current = latest(statuses)
    if sex == "male":
        applicable, reason = False, "male"
    elif ("min" in ages and age < ages["min"]) or ("max" in ages and age > ages["max"]):
        applicable, reason = False, "age"
    else:
        applicable, reason = True, None
    days_old = (today - current.date).days if current is not None else None
    return {
        "applicable": applicable,
        "reason": reason,
        "age": age,
        "ages": ages,
        "current": current,
        "days_old": days_old,
        "valid_days": valid_days,
        "validity_known": valid_days is not None,
        "out_of_date": bool(applicable and current is not None and valid_days is not None
                            and days_old > valid_days),
        "unknown": bool(applicable and (current is None or current.status == "unknown")),
    }
