"""The assessment: red-flag screening, then interference-field tracing per complaint.

Pure Python (no Django). ``assess(case, kb)`` takes a validated case (segmenta-case/1)
and a knowledge base and returns plain data (see ``segmenta schema assessment``):
hypotheses to test by injection, each with reasons a practitioner can check, never a
diagnosis. All clinical knowledge and every weight come from the knowledge base.
"""

from datetime import date

from segmenta.caseformat import partial_date_key
from segmenta.treatment import huneke, safety

SEGMENT_ORDER = {code: i for i, code in enumerate(
    [f"C{i}" for i in range(2, 9)] + [f"T{i}" for i in range(1, 13)] + [f"L{i}" for i in range(1, 6)]
    + [f"S{i}" for i in range(1, 6)])}
STATUS_ORDER = {"confirmed": 0, "candidate": 1, "excluded": 2}


def _sorted_segments(segments):
    return sorted(set(segments), key=SEGMENT_ORDER.__getitem__)


def _date(value):
    year, month, day = partial_date_key(value)
    return date(year, month, day)


def age_on(birth, when):
    """Whole years from a (possibly partial) birth date to ``when``; None when unknown."""
    if not birth:
        return None
    born = _date(birth)
    return when.year - born.year - ((when.month, when.day) < (born.month, born.day))


def _span(earlier, later):
    """'5 months' / '3 years' between two dates, in words a practitioner reads at a glance."""
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    if months < 1:
        return "less than a month"
    if months < 24:
        return f"{months} month{'s' if months != 1 else ''}"
    return f"{months // 12} years"


class Supply:
    """Which spinal segments (and trigeminal divisions) a complaint or item involves,
    and where each came from, for the reasons text."""

    def __init__(self):
        self.segments = {}  # segment -> [origin text]
        self.trigeminal = set()
        self.regions = []  # (region, side)
        self.referrals = []  # (organ name, region, side, note)

    def add(self, segments, origin):
        for segment in segments:
            if segment in SEGMENT_ORDER:
                self.segments.setdefault(segment, []).append(origin)


def supply_of(thing, kb, include_referrals=False):
    """Segments of a complaint or history item through regions, organs and Head zones."""
    supply = Supply()
    supply.regions = huneke.item_regions(thing, kb)
    for region in thing.get("regions", []):
        if "choir" in region:
            segment = kb.get("choir-segment", region["choir"])
            supply.add(segment["dermatomes"], f"body-map segment {region['choir']} ({segment['label']})")
            supply.trigeminal.update(segment["trigeminal"])
        else:
            entry = kb.get("region", region["region"])
            supply.add(entry["dermatomes"], f"{entry['name'].lower()} dermatomes")
            supply.trigeminal.update(entry["trigeminal"])
    if thing.get("kind") == "tooth" and thing.get("tooth"):
        teeth = next(c for c in kb.all("field-category") if "tooth" in c["kinds"])
        supply.trigeminal.add(teeth["trigeminal_by_quadrant"][thing["tooth"][0]])
    for organ_id in thing.get("organs", []):
        organ = kb.get("organ", organ_id)
        for organ_map in organ["maps"]:
            if organ_map["id"] == organ["default"]:
                supply.add(organ_map["sympathetic"], f"{organ['name'].lower()} sympathetic supply "
                                                     f"{_range(organ_map['sympathetic'])}")
                supply.add([s for s in organ_map["parasympathetic"] if s in SEGMENT_ORDER],
                           f"{organ['name'].lower()} parasympathetic supply")
            if organ_map["head_zone"]:
                supply.add(organ_map["head_zone"], f"{organ['name'].lower()} Head zone {_range(organ_map['head_zone'])}")
            if include_referrals:
                default = next(m for m in organ["maps"] if m["id"] == organ["default"])
                via = f"sympathetic supply {_range(default['sympathetic'])}" if default["sympathetic"] else ""
                for referred in organ_map.get("referred_regions", []):
                    supply.referrals.append((organ["name"], via, referred["region"], referred.get("side"),
                                             organ_map.get("referral_note", "")))
    return supply


def _range(segments):
    if not segments:
        return ""
    ordered = _sorted_segments(segments)
    return ordered[0] if len(ordered) == 1 else f"{ordered[0]}–{ordered[-1]}"


# --- Red flags ------------------------------------------------------------------------

def red_flags(case, kb, today=None):
    """Every red flag of the case. A flag with ``min_age_years`` counts only when the
    patient is at least that old today; an unknown age counts as old enough."""
    flags = []
    age = age_on(case.get("patient", {}).get("birth_date"), today or date.today())

    def flag(code, complaint_id):
        entry = kb.get("red-flag", code)
        if entry is None:  # a finding for the safety rules (a normal INR), not a red flag
            return
        if age is not None and age < entry.get("min_age_years", 0):
            return
        flags.append({"code": code, "complaint_id": complaint_id, "message": entry["name"],
                      "action": entry["action"]})

    # Case-level findings belong to the complaint when there is only one; otherwise
    # they concern the patient as a whole (and refer_first holds either way).
    active = [c for c in case.get("complaints", []) if c.get("status") != "resolved"]
    for code in case.get("findings", []):
        flag(code, active[0]["id"] if len(active) == 1 else None)
    birth = case.get("patient", {}).get("birth_date")
    derived = kb.get("red-flag", "new_pain_over_50")["derived"]
    for complaint in case.get("complaints", []):
        if complaint.get("status") == "resolved":
            continue
        for code in complaint.get("findings", []):
            if code not in case.get("findings", []):
                flag(code, complaint["id"])
        if birth and complaint.get("onset"):
            onset, born = _date(complaint["onset"]), _date(birth)
            age = onset.year - born.year - ((onset.month, onset.day) < (born.month, born.day))
            if age >= derived["years"]:
                flag("new_pain_over_50", complaint["id"])
    return flags


# --- Tracing --------------------------------------------------------------------------

def _weights(kb):
    return {entry["id"]: entry for entry in kb.all("tracing-weight")}


def _categories(kb):
    """Each history kind's field category."""
    return {kind: category for category in reversed(kb.all("field-category")) for kind in category["kinds"]}


def _region_matches(referred_region, referred_side, complaint_regions):
    return any(region == referred_region and (referred_side is None or side in (None, "both", referred_side))
               for region, side in complaint_regions)


class _Item:
    """What a history item brings to every complaint, worked out once per assessment:
    its date, its segments and the reasons that do not depend on the complaint."""

    def __init__(self, item, supply, weights, categories):
        self.item = item
        self.supply = supply
        self.segments = set(supply.segments)
        self.date_parts = item["date"].split("-") if item.get("date") else None
        self.date = _date(item["date"]) if item.get("date") else None
        self.head = item["kind"] in weights["head_territory"]["kinds"]
        category = categories[item["kind"]]
        signs = [s for s in item.get("signs", []) if s in category["local_signs"]]
        self.signs = None
        if signs:
            w = weights["local_signs"]
            self.signs = (min(w["max_points"], w["points_per_sign"] * len(signs)),
                          {"factor": "local_signs", "detail": f"local signs: {', '.join(s.replace('_', ' ') for s in signs)}"})
        self.prior = None
        w = weights["category_prior"]
        if category["prior"] == "high":
            regions = {r for r, _side in supply.regions}
            if item["kind"] != "scar" or regions & set(w["scar_regions"]):
                what = "abdominal or pelvic scar" if item["kind"] == "scar" else category["name"].lower()
                self.prior = (w["points"], {"factor": "category_prior", "detail": f"{what}: a frequent interference field"})


class _Complaint:
    """What a complaint brings to every history item, worked out once per assessment."""

    def __init__(self, complaint, supply, weights):
        self.complaint = complaint
        self.supply = supply
        self.segments = set(supply.segments)
        self.onset = _date(complaint["onset"]) if complaint.get("onset") else None
        self.onset_parts = complaint["onset"].split("-") if complaint.get("onset") else None
        self.onset_text = _onset_text(complaint)
        upper_cervical = set(weights["head_territory"]["segments"]) & self.segments
        self.territory = None
        if supply.trigeminal or upper_cervical:
            self.territory = ", ".join(sorted(supply.trigeminal) + sorted(upper_cervical))


def _candidate(facts, about, tests, weights):
    item, item_supply, complaint_supply = facts.item, facts.supply, about.supply
    reasons = []
    score = 0.0
    after_onset = False
    # Temporal
    w = weights["temporal"]
    if about.onset is None:
        reasons.append({"factor": "temporal", "detail": "the complaint's onset is unknown, so timing cannot be weighed"})
    elif facts.date is None:
        reasons.append({"factor": "temporal", "detail": "date unknown"})
    elif _same_parts(facts.date_parts, about.onset_parts):
        score += w["base_points"]
        reasons.append({"factor": "temporal",
                        "detail": f"dated {item['date']}, in the same period as onset ({about.onset_text}): "
                                  "which came first is unclear"})
    else:
        when, onset = facts.date, about.onset
        if when <= onset:
            years = (onset - when).days / 365.25
            points = w["base_points"] + w["extra_points"] * max(0.0, 1 - years / w["horizon_years"])
            score += points
            reasons.append({"factor": "temporal",
                            "detail": f"dated {item['date']}, {_span(when, onset)} before onset ({about.onset_text})"})
        else:
            after_onset = True
            reasons.append({"factor": "temporal",
                            "detail": f"dated {item['date']}, after onset ({about.onset_text}): "
                                      "it cannot have caused this complaint"})
    # Segmental
    shared = facts.segments & about.segments
    if shared:
        shared = _sorted_segments(shared)
        w = weights["segmental"]
        score += min(w["max_points"], w["points_per_segment"] * len(shared))
        via = sorted({o for s in shared for o in item_supply.segments[s]})
        reasons.append({"factor": "segmental",
                        "detail": f"shares {', '.join(shared)} with the complaint (through {'; '.join(via)})"})
    for organ_name, via, region, side, note in item_supply.referrals:
        if _region_matches(region, side, complaint_supply.regions):
            score += weights["referral"]["points"]
            where = f"{side} {region}" if side else region
            reasons.append({"factor": "segmental",
                            "detail": f"{organ_name.lower()}{f' ({via})' if via else ''}: its Head zone refers pain "
                                      f"to the {where.replace('_', ' ')}{' ' + note if note else ''} — the complaint's region"})
    if facts.head and about.territory is not None:
        score += weights["head_territory"]["points"]
        reasons.append({"factor": "segmental",
                        "detail": f"{item['kind'].replace('_', ' ')} relates to head and face complaints "
                                  f"(trigeminal and upper cervical territory: {about.territory})"})
    # Local signs
    if facts.signs is not None:
        score += facts.signs[0]
        reasons.append(dict(facts.signs[1]))
    # Category prior
    if facts.prior is not None:
        score += facts.prior[0]
        reasons.append(dict(facts.prior[1]))
    # Earlier test injections
    status = "candidate"
    for test in tests:
        when = test.get("date") or "an unrecorded date"
        if test.get("relief_percent") is None:
            reasons.append({"factor": "test", "detail": f"tested on {when}: response not recorded"})
            continue
        if test["classification"] in (huneke.HUNEKE, huneke.CONFIRMED):
            status = "confirmed"
            reasons.append({"factor": "test", "detail": f"Huneke phenomenon when tested on {when}"
                                                        f"{' (confirmed on repetition)' if test['classification'] == huneke.CONFIRMED else ''}"})
        elif test["classification"] == huneke.NEGATIVE:
            if status != "confirmed":
                status = "excluded"
            reasons.append({"factor": "test", "detail": f"tested negative on {when}"})
        elif test["classification"] == huneke.PARTIAL:
            score += weights["partial_test"]["points"]
            reasons.append({"factor": "test", "detail": f"partial relief when tested on {when}"})
        else:
            reasons.append({"factor": "test", "detail": f"tested on {when}: relief at the complaint's own site, "
                                                        "which says nothing about a remote field"})
    return {"history_id": item["id"], "status": status, "score": round(score, 1), "reasons": reasons,
            "_after_onset": after_onset}


def _same_parts(item_parts, onset_parts):
    parts = min(len(item_parts), len(onset_parts))
    return item_parts[:parts] == onset_parts[:parts]


def _onset_text(complaint):
    return complaint.get("onset", "unknown")


def _rank(candidates, history_order):
    def key(c):
        return (STATUS_ORDER[c["status"]], c["_after_onset"], -c["score"], history_order[c["history_id"]])

    ranked = sorted(candidates, key=key)
    for rank, candidate in enumerate(ranked, start=1):
        candidate["rank"] = rank
        del candidate["_after_onset"]
    return [{"history_id": c["history_id"], "rank": c["rank"], "status": c["status"], "score": c["score"],
             "reasons": c["reasons"]} for c in ranked]


# --- Targets --------------------------------------------------------------------------

def _side_text(regions):
    sides = {side for _region, side in regions if side in ("left", "right")}
    if len(sides) == 1:
        return f" on the {sides.pop()} side"
    return " on both sides" if sides else ""


def segmental_targets(complaint_supply, kb):
    targets = []
    side = _side_text(complaint_supply.regions)
    for segment in _sorted_segments(complaint_supply.segments):
        key_point = kb.get("segment", segment)["key_point"]
        for technique in kb.all("technique"):
            if technique["approach"] != "segmental":
                continue
            if technique["id"] == "wheal":
                where = f"wheals in the {segment} dermatome over the painful area (key point: {key_point.lower()})"
            else:
                where = f"paravertebral at {segment}{side}"
            targets.append({"segment": segment, "technique": technique["id"], "where": where})
    return targets


def ganglionic_targets(complaint, complaint_supply, sex, kb):
    regions = {region for region, _side in complaint_supply.regions}
    organs = set(complaint.get("organs", []))
    targets = []
    for ganglion in kb.all("ganglion"):
        serves = ganglion.get("serves", {"regions": [], "organs": [], "sexes": []})
        if sex not in serves["sexes"]:
            continue
        hit_regions = sorted(regions & set(serves["regions"]))
        hit_organs = sorted(organs & set(serves["organs"]))
        if not hit_regions and not hit_organs:
            continue
        what = ", ".join([r.replace("_", " ") for r in hit_regions] + [o.replace("_", " ") for o in hit_organs])
        targets.append({"target": ganglion["target"],
                        "reason": f"{ganglion['name']} serves the complaint's {what}",
                        "requires": " or ".join(ganglion["may_inject"])})
    return targets


def _mark_contraindicated(targets, key, contraindications):
    """Targets the safety engine would block for this patient whatever the dose are not
    offered plainly: they carry ``contraindicated: true``, the ``reason`` (why not) and
    the safety engine's ``contraindications``; a ganglion's own reason (what it serves)
    moves to ``indication``. Targets that are fine carry no ``contraindicated`` key."""
    for target in targets:
        found = contraindications(target[key])
        if not found:
            continue
        if "reason" in target:
            target["indication"] = target["reason"]
        target["contraindicated"] = True
        target["reason"] = "; ".join(item["message"] for item in found)
        target["contraindications"] = [{"code": item["code"], "message": item["message"]} for item in found]
    return targets


# --- The whole assessment ---------------------------------------------------------------

def assess(case, kb, today=None):
    """The whole assessment; ``today`` (a date, default the current one) dates the
    patient's age for age-limited red flags."""
    weights = _weights(kb)
    flags = red_flags(case, kb, today)
    blocked = {}

    def contraindications(target):
        # One answer per target: the patient's reasons do not change between complaints.
        if target not in blocked:
            blocked[target] = safety.target_contraindications(case, target, kb)
        return blocked[target]

    classified = huneke.classify(case, kb)["tests"]
    tests_by_pair = {}
    for test, result in zip(case.get("tests", []), classified):
        tests_by_pair.setdefault((test["history_id"], test["complaint_id"]), []).append(
            {**result, "date": test.get("date"), "relief_percent": test.get("relief_percent")})
    history = case.get("history", [])
    history_order = {item["id"]: i for i, item in enumerate(history)}
    sex = case.get("patient", {}).get("sex", "unknown")
    # What an item brings is the same for every complaint (and a complaint's for every
    # item): work each out once.
    categories = _categories(kb)
    items = [_Item(item, supply_of(item, kb, include_referrals=True), weights, categories) for item in history]
    complaints = []
    for complaint in case.get("complaints", []):
        supply = supply_of(complaint, kb)
        if complaint.get("segments"):
            supply.segments = {s: ["given with the complaint"] for s in complaint["segments"]}
        about = _Complaint(complaint, supply, weights)
        candidates = [
            _candidate(facts, about, tests_by_pair.get((facts.item["id"], complaint["id"]), []), weights)
            for facts in items
        ]
        complaints.append({
            "id": complaint["id"],
            "segments": _sorted_segments(supply.segments),
            "candidates": _rank(candidates, history_order),
            "segmental_targets": _mark_contraindicated(segmental_targets(supply, kb), "technique",
                                                       contraindications),
            "ganglionic_targets": _mark_contraindicated(ganglionic_targets(complaint, supply, sex, kb), "target",
                                                        contraindications),
        })
    return {
        "refer_first": bool(flags),
        "red_flags": flags,
        "knowledge_version": kb.version,
        "complaints": complaints,
    }
