"""The case simulator's scoring: a learner's answers to a vignette held against the engines.

Pure Python (no Django). A vignette (knowledge base, kind ``vignette``) hides a case in the
case format. The learner asks questions, marks the body map, names red flags, proposes
candidate interference fields and injections with their doses. ``score`` runs the real
assessment and safety engines on the hidden case (never a stored answer key) and compares.

Weights (points, 100 in all), chosen by the Segmenta team for teaching, not clinical facts:

- history (10): the share of the key questions the learner asked: those that reveal
  something of the hidden case (a history item or a red-flag finding) and those the vignette
  marks ``key`` (medication, allergies) or ``screening`` (the red-flag screening): they
  reveal nothing in these cases, yet a safe history never skips them. Other questions cost
  nothing.
- red_flags (20): the share of the engine's red flags the learner named, less 5 points for
  each flag named that the case does not hold (never below 0). Naming one more true flag
  never lowers the score. A case with no red flag earns the points only when the learner
  asked its red-flag screening question (``screening``): knowing there is none takes asking.
- body_map (10): the share of the complaint's regions (and sides) the marked segments cover,
  times the share of marked segments that lie on the complaint.
- fields (25): agreement with the engine's leading candidates (confirmed ones, and those
  scoring at least ``LEAD_SHARE`` of the complaint's best): 2·|both| / (|proposed| + |leading|),
  so proposing exactly the engine's answer gets all 25.
- targets (20): when the engine says "refer first", 20 for proposing no injection while
  naming at least one of the engine's red flags (referral for a reason, not by doing
  nothing), and 0 otherwise; else the share of proposed injections the engine offers and
  the safety engine does not block (the complaint's segmental techniques, a ganglion it
  suggests and does not mark contraindicated, a field technique at a leading candidate
  field it fits by ``field_kinds`` in techniques.yaml), where a technique the vignette lists in ``discouraged_targets`` is never offered;
  no injection proposed scores 0.
- safety (15): all of it for a plan that is not dangerous (warnings are shown but cost
  nothing), none for a dangerous one: no points for safety are given to a plan that would
  harm the patient. With no injection proposed there is nothing to judge and it scores 0,
  unless the engine says "refer first" and the learner named one of its red flags (then not
  injecting is the safe plan).

Dangerous plans (``dangers``): the safety engine blocks a proposed injection (a dose over its
limit, a contraindication), or injections are proposed where the engine says "refer first"
(the red flags ask for a work-up before any injection; the safety engine, which judges the
injections alone, may well answer "ok"). A dangerous plan earns no safety points and its
total is capped at ``BLOCKED_CAP`` (50): it cannot pass, whatever else is right.
"""

from datetime import date, datetime, timedelta

from segmenta.assessment import engine
from segmenta.treatment import safety

WEIGHTS = {"history": 10, "red_flags": 20, "body_map": 10, "fields": 25, "targets": 20, "safety": 15}
FALSE_FLAG_PENALTY = 5
LEAD_SHARE = 0.6
BLOCKED_CAP = 50
PARTS = tuple(WEIGHTS)
FIELD_APPROACH = "interference_field"
BLOCKED, BEFORE_REFERRAL = "blocked", "before_referral"  # what makes a plan dangerous
ANSWER_KEYS = ("asked", "regions", "red_flags", "fields", "injections")


class AnswerError(ValueError):
    """An answer that cannot be scored; ``field`` names it."""

    def __init__(self, field, message):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def empty_answers():
    return {"asked": [], "regions": [], "red_flags": [], "fields": [], "injections": []}


def revealed(vignette, asked):
    """What the asked questions revealed: [(question, answer)] in the vignette's order."""
    asked = set(asked)
    return [q for q in vignette["questions"] if q["id"] in asked]


def check_answers(vignette, answers, kb):
    """Raise AnswerError naming the first answer that is not one of the vignette's choices."""
    questions = {q["id"] for q in vignette["questions"]}
    history = {item["id"] for item in vignette["case"].get("history", [])}
    for key in ANSWER_KEYS:
        if not isinstance(answers.get(key, []), list):
            raise AnswerError(key, "expected a list")
    for index, asked in enumerate(answers.get("asked", [])):
        if asked not in questions:
            raise AnswerError(f"asked[{index}]", f"{asked!r} is no question of this case")
    for index, code in enumerate(answers.get("red_flags", [])):
        if kb.get("red-flag", code) is None:
            raise AnswerError(f"red_flags[{index}]", f"{code!r} is no red flag")
    for index, region in enumerate(answers.get("regions", [])):
        if not isinstance(region, dict) or kb.get("choir-segment", region.get("choir")) is None:
            raise AnswerError(f"regions[{index}]", "expected a body-map segment {\"choir\": number}")
    for index, field in enumerate(answers.get("fields", [])):
        if field not in history:
            raise AnswerError(f"fields[{index}]", f"{field!r} is no history item of this case")
    for index, injection in enumerate(answers.get("injections", [])):
        where = f"injections[{index}]"
        if not isinstance(injection, dict):
            raise AnswerError(where, "expected an injection")
        if kb.get("technique", injection.get("target")) is None:
            raise AnswerError(f"{where}.target", f"{injection.get('target')!r} is no injection target")
        if kb.get("drug", injection.get("drug")) is None:
            raise AnswerError(f"{where}.drug", f"{injection.get('drug')!r} is no drug")
        for number in ("concentration_percent", "volume_ml"):
            value = injection.get(number)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise AnswerError(f"{where}.{number}", "expected a number above 0")
        if injection.get("history_id") not in (None, *history):
            raise AnswerError(f"{where}.history_id", f"{injection['history_id']!r} is no history item of this case")


# --- The engines on the hidden case ------------------------------------------------------

def _seen_on(vignette):
    return date.fromisoformat(vignette["seen_on"])


def _visit_start(vignette):
    return datetime.combine(_seen_on(vignette), datetime.min.time()) + timedelta(hours=10)


def engine_answer(vignette, kb):
    """The assessment of the hidden case, judged on the vignette's day, with each
    complaint's leading candidates (ids) beside its ranking."""
    # The engines take "now" from the planned injections' time; one probe at the visit's
    # time makes a blood thinner's last dose (and so a contraindication) count as on that day.
    probe = {"target": "wheal", "drug": kb.all("drug")[0]["id"], "concentration_percent": 1, "volume_ml": 0.1,
             "time": _visit_start(vignette).isoformat(timespec="minutes")}
    case = {**vignette["case"], "planned_injections": [probe]}
    answer = engine.assess(case, kb, today=_seen_on(vignette))
    for complaint in answer["complaints"]:
        complaint["leading"] = leading_candidates(complaint["candidates"])
    return answer


def leading_candidates(candidates):
    """Confirmed candidates, and those not excluded that score at least LEAD_SHARE of the best."""
    open_ = [c for c in candidates if c["status"] != "excluded"]
    best = max((c["score"] for c in open_), default=0)
    return [c["history_id"] for c in open_
            if c["status"] == "confirmed" or (best > 0 and c["score"] >= LEAD_SHARE * best)]


def planned(vignette, injections):
    """The learner's injections as the case format's planned injections: on the vignette's
    day, a minute apart from 10:00, at the complaint's regions, a field's own regions, or
    (a ganglion) where the technique says."""
    case = vignette["case"]
    complaint_regions = [r for c in case.get("complaints", []) for r in c.get("regions", [])]
    history = {item["id"]: item for item in case.get("history", [])}
    start = _visit_start(vignette)
    result = []
    for index, injection in enumerate(injections):
        item = history.get(injection.get("history_id"))
        placed = {"target": injection["target"], "drug": injection["drug"],
                  "concentration_percent": injection["concentration_percent"],
                  "volume_ml": injection["volume_ml"],
                  "time": (start + timedelta(minutes=index)).isoformat(timespec="minutes")}
        if item is not None:
            placed["history_id"] = item["id"]
            placed["regions"] = item.get("regions", [])
        elif injection["target"] in ("wheal", "paravertebral", "trigger_point", "periosteal"):
            placed["regions"] = complaint_regions
        if injection.get("side"):
            placed["side"] = injection["side"]
        result.append(placed)
    return result


def safety_verdicts(vignette, injections, kb):
    """The safety engine's answer on the hidden case with the learner's injections planned."""
    case = {**vignette["case"], "planned_injections": planned(vignette, injections)}
    return safety.check(case, kb)


# --- Scoring --------------------------------------------------------------------------

def _share(part, whole):
    return part / whole if whole else 1.0


def _history_part(vignette, answers):
    key = [q["id"] for q in vignette["questions"] if q["reveals"] or q.get("key") or q.get("screening")]
    asked = set(answers.get("asked", []))
    missed = [q for q in key if q not in asked]
    return _share(len(key) - len(missed), len(key)), {"key_questions": key, "missed": missed}


def _screened(vignette, answers):
    asked = set(answers.get("asked", []))
    return any(q.get("screening") and q["id"] in asked for q in vignette["questions"])


def _red_flag_part(vignette, assessment, answers):
    expected = list(dict.fromkeys(f["code"] for f in assessment["red_flags"]))
    named = list(dict.fromkeys(answers.get("red_flags", [])))
    caught = [c for c in expected if c in named]
    extra = [c for c in named if c not in expected]
    found = _share(len(caught), len(expected)) if expected else float(_screened(vignette, answers))
    points = WEIGHTS["red_flags"] * found - FALSE_FLAG_PENALTY * len(extra)
    missed = [c for c in expected if c not in named]
    return max(0.0, points) / WEIGHTS["red_flags"], {"expected": expected, "caught": caught, "missed": missed,
                                                      "extra": extra}


def _sides_match(wanted, side):
    return wanted in (None, "both", "midline") or wanted == side


def _body_map_part(vignette, answers, kb):
    expected = []  # (region, side)
    for complaint in vignette["case"].get("complaints", []):
        for region in complaint.get("regions", []):
            if "choir" in region:
                segment = kb.get("choir-segment", region["choir"])
                expected += [(r, segment["side"]) for r in segment["regions"]]
            else:
                expected.append((region["region"], region.get("side")))
    expected = list(dict.fromkeys(expected))
    marked = [kb.get("choir-segment", r["choir"]) for r in answers.get("regions", [])]
    covered = [(r, s) for r, s in expected
               if any(r in seg["regions"] and _sides_match(s, seg["side"]) for seg in marked)]
    on_complaint = [seg for seg in marked
                    if any(r in seg["regions"] and _sides_match(s, seg["side"]) for r, s in expected)]
    share = _share(len(covered), len(expected)) * _share(len(on_complaint), len(marked))
    return share, {"expected": expected, "covered": covered,
                   "off_complaint": [seg["id"] for seg in marked if seg not in on_complaint]}


def _fields_part(assessment, answers):
    leading = list(dict.fromkeys(h for c in assessment["complaints"] for h in c["leading"]))
    proposed = list(dict.fromkeys(answers.get("fields", [])))
    both = [h for h in proposed if h in leading]
    share = 2 * len(both) / (len(proposed) + len(leading)) if (proposed or leading) else 1.0
    return share, {"leading": leading, "agreed": both, "missed": [h for h in leading if h not in proposed],
                   "not_leading": [h for h in proposed if h not in leading]}


def fits_the_field(technique, kind, kb):
    """Whether an interference-field ``technique`` is the injection for a field of history
    ``kind``: a kind that some technique names (``field_kinds``) fits that technique only (a
    tonsil injection treats no scar); a kind no technique names is left open."""
    owners = {t["id"] for t in kb.all("technique") if kind in t.get("field_kinds", [])}
    return not owners or technique["id"] in owners


def offered(injection, assessment, kb, discouraged=(), history_kinds=None):
    """Whether the engine offers this injection for the case (see the module's weights).
    ``history_kinds``: {history id: kind} of the case, to tell whether a field technique fits
    the field it is aimed at."""
    if injection["target"] in discouraged:
        return False
    technique = kb.get("technique", injection["target"])
    leading = {h for c in assessment["complaints"] for h in c["leading"]}
    if technique["approach"] == FIELD_APPROACH:
        history_id = injection.get("history_id")
        kind = (history_kinds or {}).get(history_id)
        return history_id in leading and (kind is None or fits_the_field(technique, kind, kb))
    for complaint in assessment["complaints"]:
        if any(t["technique"] == injection["target"] and not t.get("contraindicated")
               for t in complaint["segmental_targets"]):
            return True
        if any(t["target"] == injection["target"] and not t.get("contraindicated")
               for t in complaint["ganglionic_targets"]):
            return True
    return False


def _blocked(verdicts):
    return [r["index"] for r in verdicts["injections"] if r["verdict"] == safety.BLOCK]


def _referred_for_a_reason(assessment, answers):
    """The engine says refer first, and the learner named at least one of its red flags."""
    flags = {f["code"] for f in assessment["red_flags"]}
    return assessment["refer_first"] and bool(flags & set(answers.get("red_flags", [])))


def _targets_part(vignette, assessment, answers, verdicts, kb):
    injections = answers.get("injections", [])
    blocked = set(_blocked(verdicts))
    discouraged = set(vignette.get("discouraged_targets", []))
    kinds = {item["id"]: item.get("kind") for item in vignette["case"].get("history", [])}
    marks = [offered(i, assessment, kb, discouraged, kinds) and index not in blocked
             for index, i in enumerate(injections)]
    if assessment["refer_first"]:
        referred = not injections and _referred_for_a_reason(assessment, answers)
        return float(referred), {"refer_first": True, "offered": marks}
    return (_share(sum(marks), len(marks)) if injections else 0.0), {"refer_first": False, "offered": marks}


def dangers(assessment, answers, verdicts):
    """What makes the learner's plan dangerous ([] when nothing does): BLOCKED, an injection
    the safety engine blocks; BEFORE_REFERRAL, injections where the engine says refer first."""
    found = []
    if _blocked(verdicts):
        found.append(BLOCKED)
    if assessment["refer_first"] and answers.get("injections"):
        found.append(BEFORE_REFERRAL)
    return found


def _safety_part(assessment, answers, verdicts):
    blocked = _blocked(verdicts)
    found = dangers(assessment, answers, verdicts)
    if not answers.get("injections"):
        return float(_referred_for_a_reason(assessment, answers)), {"blocked": blocked, "dangers": found}
    return (0.0 if found else 1.0), {"blocked": blocked, "dangers": found}


def score(vignette, answers, kb):
    """The learner's score (0–100) with each part's points, what the engines answered and
    what was missed. ``answers``: {asked, regions, red_flags, fields, injections}."""
    check_answers(vignette, answers, kb)
    injections = answers.get("injections", [])
    assessment = engine_answer(vignette, kb)
    verdicts = safety_verdicts(vignette, injections, kb)
    shares = {
        "history": _history_part(vignette, answers),
        "red_flags": _red_flag_part(vignette, assessment, answers),
        "body_map": _body_map_part(vignette, answers, kb),
        "fields": _fields_part(assessment, answers),
        "targets": _targets_part(vignette, assessment, answers, verdicts, kb),
        "safety": _safety_part(assessment, answers, verdicts),
    }
    parts = {name: {"points": round(WEIGHTS[name] * share, 1), "max": WEIGHTS[name], **detail}
             for name, (share, detail) in shares.items()}
    total = round(sum(part["points"] for part in parts.values()))
    found = parts["safety"]["dangers"]
    capped = bool(found) and total > BLOCKED_CAP
    if capped:
        total = BLOCKED_CAP
    return {"score": max(0, min(100, total)), "capped": capped, "cap": BLOCKED_CAP, "dangers": found,
            "parts": parts, "assessment": assessment, "safety": verdicts, "knowledge_version": kb.version}
