"""What the chart's body map and dental chart show: pure functions over chart items."""

from segmenta.knowledge.base import load

from .bodymap import segments


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


def tooth_marks(history):
    """{FDI number: [history items]} for the dental chart."""
    marks = {}
    for item in history:
        if item.tooth:
            marks.setdefault(item.tooth, []).append(item)
    return marks


def nrs_courses(complaints, sessions, width=320, height=90):
    """Per complaint, the NRS before each session as an SVG polyline (0 at the bottom,
    10 at the top), with the sessions that gave injections marked."""
    courses = []
    for complaint in complaints:
        points = []
        for session in sessions:
            score = next((s for s in session.scores.all() if s.complaint_id == complaint.pk), None)
            if score is not None:
                points.append((session, score))
        if not points:
            continue
        step = width / max(len(points) - 1, 1)
        plotted = []
        for index, (session, score) in enumerate(points):
            x = round(index * step if len(points) > 1 else width / 2, 1)
            y = round(height - score.pre_nrs * height / 10, 1)
            plotted.append({"x": x, "y": y, "nrs": score.pre_nrs, "post": score.post_nrs,
                            "post_y": round(height - score.post_nrs * height / 10, 1) if score.post_nrs is not None
                            else None, "date": session.started_at, "injected": bool(session.injections.all())})
        # The band of important improvement: at least 30 % below the first score (IMMPACT).
        important = load().get("instrument-threshold", "nrs-11")["important_change"]["percent"] / 100
        band_top = round(height - points[0][1].pre_nrs * (1 - important) * height / 10, 1)
        courses.append({"complaint": complaint, "points": plotted, "width": width, "height": height,
                        "band_top": band_top, "band_height": round(height - band_top, 1),
                        "polyline": " ".join(f"{p['x']},{p['y']}" for p in plotted)})
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
