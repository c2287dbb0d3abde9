"""The assessment: red-flag screening, then interference-field tracing per complaint.

Pure Python (no Django). ``assess(case, kb)`` takes a validated case (segmenta-case/1)
and a knowledge base and returns plain data (see ``segmenta schema assessment``):
hypotheses to test by injection, each with reasons a practitioner can check, never a
diagnosis. All clinical knowledge and every weight come from the knowledge base.
"""

from datetime import date

from segmenta.caseformat import partial_date_key
from segmenta.knowledge.phrases import Day, Number, Phrase, code, gettext_noop, term
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
        return Phrase(gettext_noop("less than a month"))
    if months == 1:
        return Phrase(gettext_noop("1 month"))
    if months < 24:
        return Phrase(gettext_noop("%(months)s months"), months=Number(months))
    return Phrase(gettext_noop("%(years)s years"), years=Number(months // 12))


class Supply:
    """Which spinal segments (and trigeminal divisions) a complaint or item involves,
    and where each came from, for the reasons text."""

    def __init__(self):
        self.segments = {}  # segment -> [origin text]
        self.trigeminal = set()
        self.regions = []  # (region, side)
        self.referrals = []  # (organ's name, its supply or "", region, side, note or None)

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
            supply.add(segment["dermatomes"], Phrase(gettext_noop("body-map segment %(segment)s (%(label)s)"),
                                                     segment=region["choir"], label=term(segment, "label")))
            supply.trigeminal.update(segment["trigeminal"])
        else:
            entry = kb.get("region", region["region"])
            supply.add(entry["dermatomes"], Phrase(gettext_noop("%(region)s dermatomes"),
                                                   region=term(entry, lower=True)))
            supply.trigeminal.update(entry["trigeminal"])
    if thing.get("kind") == "tooth" and thing.get("tooth"):
        teeth = next(c for c in kb.all("field-category") if "tooth" in c["kinds"])
        supply.trigeminal.add(teeth["trigeminal_by_quadrant"][thing["tooth"][0]])
    for organ_id in thing.get("organs", []):
        organ = kb.get("organ", organ_id)
        name = term(organ, lower=True)
        for index, organ_map in enumerate(organ["maps"]):
            if organ_map["id"] == organ["default"]:
                supply.add(organ_map["sympathetic"], Phrase(gettext_noop("%(organ)s sympathetic supply %(segments)s"),
                                                            organ=name, segments=_range(organ_map["sympathetic"])))
                supply.add([s for s in organ_map["parasympathetic"] if s in SEGMENT_ORDER],
                           Phrase(gettext_noop("%(organ)s parasympathetic supply"), organ=name))
            if organ_map["head_zone"]:
                supply.add(organ_map["head_zone"], Phrase(gettext_noop("%(organ)s Head zone %(segments)s"), organ=name,
                                                          segments=_range(organ_map["head_zone"])))
            if include_referrals:
                default = next(m for m in organ["maps"] if m["id"] == organ["default"])
                via = Phrase(gettext_noop("sympathetic supply %(segments)s"),
                             segments=_range(default["sympathetic"])) if default["sympathetic"] else ""
                note = term(organ, ("maps", index, "referral_note")) if organ_map.get("referral_note") else None
                for referred in organ_map.get("referred_regions", []):
                    supply.referrals.append((name, via, referred["region"], referred.get("side"), note))
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
    for finding in case.get("findings", []):
        flag(finding, active[0]["id"] if len(active) == 1 else None)
    birth = case.get("patient", {}).get("birth_date")
    derived = kb.get("red-flag", "new_pain_over_50")["derived"]
    for complaint in case.get("complaints", []):
        if complaint.get("status") == "resolved":
            continue
        for finding in complaint.get("findings", []):
            if finding not in case.get("findings", []):
                flag(finding, complaint["id"])
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
            named = Phrase.joined([code("sign", s) for s in signs], ", ")
            self.signs = (min(w["max_points"], w["points_per_sign"] * len(signs)),
                          {"factor": "local_signs",
                           "detail": Phrase(gettext_noop("local signs: %(signs)s"), signs=named)})
        self.prior = None
        w = weights["category_prior"]
        if category["prior"] == "high":
            regions = {r for r, _side in supply.regions}
            if item["kind"] != "scar" or regions & set(w["scar_regions"]):
                what = (Phrase(gettext_noop("abdominal or pelvic scar")) if item["kind"] == "scar"
                        else term(category, lower=True))
                self.prior = (w["points"], {"factor": "category_prior", "detail": Phrase(
                    gettext_noop("%(what)s: a frequent interference field"), what=what)})


class _Complaint:
    """What a complaint brings to every history item, worked out once per assessment."""

    def __init__(self, complaint, supply, weights):
        self.complaint = complaint
        self.supply = supply
        self.segments = set(supply.segments)
        self.onset = _date(complaint["onset"]) if complaint.get("onset") else None
        self.onset_parts = complaint["onset"].split("-") if complaint.get("onset") else None
        self.onset_text = Day(complaint["onset"]) if complaint.get("onset") else Phrase(gettext_noop("unknown"))
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
        reasons.append({"factor": "temporal", "detail": Phrase(gettext_noop(
            "the complaint's onset is unknown, so timing cannot be weighed"))})
    elif facts.date is None:
        reasons.append({"factor": "temporal", "detail": Phrase(gettext_noop("date unknown"))})
    elif _same_parts(facts.date_parts, about.onset_parts):
        score += w["base_points"]
        reasons.append({"factor": "temporal", "detail": Phrase(gettext_noop(
            "dated %(date)s, in the same period as onset (%(onset)s): which came first is unclear"),
            date=Day(item["date"]), onset=about.onset_text)})
    else:
        when, onset = facts.date, about.onset
        if when <= onset:
            years = (onset - when).days / 365.25
            points = w["base_points"] + w["extra_points"] * max(0.0, 1 - years / w["horizon_years"])
            score += points
            reasons.append({"factor": "temporal", "detail": Phrase(
                gettext_noop("dated %(date)s, %(span)s before onset (%(onset)s)"), date=Day(item["date"]),
                span=_span(when, onset), onset=about.onset_text)})
        else:
            after_onset = True
            reasons.append({"factor": "temporal", "detail": Phrase(
                gettext_noop("dated %(date)s, after onset (%(onset)s): it cannot have caused this complaint"),
                date=Day(item["date"]), onset=about.onset_text)})
    # Segmental
    shared = facts.segments & about.segments
    if shared:
        shared = _sorted_segments(shared)
        w = weights["segmental"]
        score += min(w["max_points"], w["points_per_segment"] * len(shared))
        via = sorted({o for s in shared for o in item_supply.segments[s]})
        reasons.append({"factor": "segmental", "detail": Phrase(
            gettext_noop("shares %(segments)s with the complaint (through %(via)s)"), segments=", ".join(shared),
            via=Phrase.joined(via, "; "))})
    for organ_name, via, region, side, note in item_supply.referrals:
        if _region_matches(region, side, complaint_supply.regions):
            score += weights["referral"]["points"]
            where = (Phrase(gettext_noop("the %(side)s %(region)s"), side=code("side", side, lower=True),
                            region=code("region", region)) if side
                     else Phrase(gettext_noop("the %(region)s"), region=code("region", region)))
            said = {"organ": organ_name, "where": where, **({"via": via} if via else {}),
                    **({"note": note} if note else {})}
            reasons.append({"factor": "segmental", "detail": Phrase(_REFERRAL[bool(via), bool(note)], **said)})
    if facts.head and about.territory is not None:
        score += weights["head_territory"]["points"]
        reasons.append({"factor": "segmental", "detail": Phrase(
            gettext_noop("%(kind)s relates to head and face complaints (trigeminal and upper cervical territory: "
                         "%(territory)s)"), kind=code("history_kind", item["kind"]), territory=about.territory)})
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
        when = Day(test["date"]) if test.get("date") else Phrase(gettext_noop("an unrecorded date"))
        if test.get("relief_percent") is None:
            reasons.append({"factor": "test",
                            "detail": Phrase(gettext_noop("tested on %(date)s: response not recorded"), date=when)})
            continue
        if test["classification"] in (huneke.HUNEKE, huneke.CONFIRMED):
            status = "confirmed"
            reasons.append({"factor": "test", "detail": Phrase(
                gettext_noop("Huneke phenomenon when tested on %(date)s (confirmed on repetition)")
                if test["classification"] == huneke.CONFIRMED
                else gettext_noop("Huneke phenomenon when tested on %(date)s"), date=when)})
        elif test["classification"] == huneke.NEGATIVE:
            if status != "confirmed":
                status = "excluded"
            reasons.append({"factor": "test", "detail": Phrase(gettext_noop("tested negative on %(date)s"), date=when)})
        elif test["classification"] == huneke.PARTIAL:
            score += weights["partial_test"]["points"]
            reasons.append({"factor": "test", "detail": Phrase(gettext_noop("partial relief when tested on %(date)s"),
                                                               date=when)})
        else:
            reasons.append({"factor": "test", "detail": Phrase(gettext_noop(
                "tested on %(date)s: relief at the complaint's own site, which says nothing about a remote field"),
                date=when)})
    return {"history_id": item["id"], "status": status, "score": round(score, 1), "reasons": reasons,
            "_after_onset": after_onset}


def _same_parts(item_parts, onset_parts):
    parts = min(len(item_parts), len(onset_parts))
    return item_parts[:parts] == onset_parts[:parts]


# An organ's Head zone that refers pain to the complaint's region: (its supply said?, a note?).
_REFERRAL = {
    (True, True): gettext_noop("%(organ)s (%(via)s): its Head zone refers pain to %(where)s %(note)s — the "
                               "complaint's region"),
    (True, False): gettext_noop("%(organ)s (%(via)s): its Head zone refers pain to %(where)s — the complaint's "
                                "region"),
    (False, True): gettext_noop("%(organ)s: its Head zone refers pain to %(where)s %(note)s — the complaint's "
                                "region"),
    (False, False): gettext_noop("%(organ)s: its Head zone refers pain to %(where)s — the complaint's region"),
}


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

# Paravertebral targets by the complaint's side.
_PARAVERTEBRAL = {"left": gettext_noop("paravertebral at %(segment)s on the left side"),
                  "right": gettext_noop("paravertebral at %(segment)s on the right side"),
                  "both": gettext_noop("paravertebral at %(segment)s on both sides"),
                  None: gettext_noop("paravertebral at %(segment)s")}


def _side(regions):
    sides = {side for _region, side in regions if side in ("left", "right")}
    if len(sides) == 1:
        return sides.pop()
    return "both" if sides else None


def segmental_targets(complaint_supply, kb):
    targets = []
    side = _side(complaint_supply.regions)
    for segment in _sorted_segments(complaint_supply.segments):
        key_point = term(kb.get("segment", segment), "key_point", lower=True)
        for technique in kb.all("technique"):
            if technique["approach"] != "segmental":
                continue
            if technique["id"] == "wheal":
                where = Phrase(gettext_noop("wheals in the %(segment)s dermatome over the painful area (key point: "
                                            "%(key_point)s)"), segment=segment, key_point=key_point)
            else:
                where = Phrase(_PARAVERTEBRAL[side], segment=segment)
            targets.append({"segment": segment, "technique": technique["id"], "where": where})
    return targets


def _either(codes):
    """"physician or dentist": the professions that may inject, as a phrase."""
    said = code("profession", codes[0], english=codes[0])
    for other in codes[1:]:
        said = Phrase(gettext_noop("%(first)s or %(second)s"), first=said,
                      second=code("profession", other, english=other))
    return said if isinstance(said, Phrase) else Phrase.joined([said], "")


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
        what = Phrase.joined([code("region", r) for r in hit_regions] + [code("organ", o) for o in hit_organs], ", ")
        targets.append({"target": ganglion["target"],
                        "reason": Phrase(gettext_noop("%(ganglion)s serves the complaint's %(what)s"),
                                         ganglion=term(ganglion), what=what),
                        "requires": _either(ganglion["may_inject"])})
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
        target["reason"] = Phrase.joined([item["message"] for item in found])

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
            supply.segments = {s: [Phrase(gettext_noop("given with the complaint"))]
                               for s in complaint["segments"]}
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
