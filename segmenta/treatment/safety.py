"""The safety engine: every planned injection checked before it is given.

Pure Python (no Django). ``check(case, kb)`` reads ``planned_injections`` in order
and answers, for each, its dose in mg, the running total, a verdict (``ok``, ``warn``
or ``block``) and the reasons, each with a stable code. Every limit, contraindication
and scope rule comes from the knowledge base (clinic overrides included), so a clinic's
own dose policy applies without code changes. Where a rule cannot be checked (weight or
practitioner unknown) the engine warns rather than stays silent.
"""

import math
from datetime import datetime, timezone

from segmenta.treatment.huneke import item_regions

OK, WARN, BLOCK = "ok", "warn", "block"
SEVERITY = {OK: 0, WARN: 1, BLOCK: 2}


def _worst(verdicts):
    return max(verdicts, key=SEVERITY.__getitem__, default=OK)


def _time(value):
    """A comparable time: aware times in UTC, naive ones as given (one clinic's clock)."""
    try:
        parsed = datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
    if parsed is not None and parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


def _floor(mg):
    """Limits are rounded down, never up."""
    return math.floor(mg * 10 + 1e-9) / 10


def _fmt(mg):
    return f"{mg:g}"


class Context:
    """What the rules need to know about the patient, practitioner and knowledge base."""

    def __init__(self, case, kb):
        patient = case.get("patient", {})
        self.kb = kb
        self.weight = patient.get("weight_kg")
        self.pregnant = patient.get("pregnant")
        self.sex = patient.get("sex", "unknown")
        self.conditions = set(patient.get("conditions", []))
        self.medication_classes = {m["class"] for m in patient.get("medications", [])}
        self.allergies = patient.get("allergies", [])
        practitioner = case.get("practitioner")
        self.profession = practitioner.get("profession") if practitioner else None
        self.trained = set(practitioner.get("trained_techniques", [])) if practitioner else None
        self.ganglion_targets = {g["target"]: g for g in kb.all("ganglion")}

    def limits(self, drug):
        """(session limit mg, head/neck/genital limit mg or None) for this patient."""
        limits = self.kb.get("drug", drug)["limits"]
        session = limits["session_max_mg"]
        if self.weight:
            session = min(session, limits["per_kg_mg"] * self.weight)
        hng = limits.get("head_neck_genital", {}).get("max_mg")
        reduce = limits.get("reduce_for_conditions")
        if reduce and self.conditions & set(reduce["conditions"]):
            session *= reduce["factor"]
            hng = hng * reduce["factor"] if hng is not None else None
        return _floor(session), (_floor(hng) if hng is not None else None)


def _in_head_neck_genital(injection, kb):
    """By the site entered, or by the target itself (a tonsil lies in the neck whatever
    site is entered)."""
    rule = kb.get("drug", injection["drug"])["limits"].get("head_neck_genital", {})
    if injection["target"] in rule.get("targets", []):
        return True
    return any(region in rule.get("regions", []) for region, _side in item_regions(injection, kb))


def _window_load(earlier, when, window_seconds):
    """The largest share of the limit used in any window of ``window_seconds`` that
    contains ``when``. Injections without a time count in every window."""
    if when is None:
        return sum(share for _t, share in earlier)
    starts = [t for t, _share in earlier if t is not None and 0 <= (when - t).total_seconds() < window_seconds]
    best = 0.0
    for start in starts or [when]:
        best = max(best, sum(share for t, share in earlier
                             if t is None or 0 <= (t - start).total_seconds() < window_seconds))
    return best


def _sides(injection, kb):
    sides = {injection.get("side")} | {side for _r, side in item_regions(injection, kb)}
    if "both" in sides:
        return {"left", "right"}
    return sides & {"left", "right"}


def _patient_rules(injection, ctx):
    """Drug, allergy, condition and medication rules: (verdict, code, message) tuples."""
    kb = ctx.kb
    drug = kb.get("drug", injection["drug"])
    target = injection["target"]
    ganglion = ctx.ganglion_targets.get(target)
    found = []
    contra = drug["contraindications"]
    for allergy in ctx.allergies:
        by_class = allergy["class"] in contra["allergy_classes"]
        substance = allergy.get("substance", "").strip().lower()
        by_name = any(name in substance for name in contra.get("allergy_substances", []))
        if by_class or by_name:
            found.append((BLOCK, "allergy", f"allergy to {allergy.get('substance') or allergy['class']} "
                                            f"({allergy['class'].replace('_', ' ')}): {drug['name'].lower()} "
                                            "is contraindicated"))
    for condition in sorted(ctx.conditions & set(contra["conditions"])):
        found.append((BLOCK, condition, f"{condition.replace('_', ' ')}: {drug['name'].lower()} is contraindicated"))
    # Bleeding
    deep = kb.get("technique", target)["bleeding"] == "block"
    for code, present in (("anticoagulant", "anticoagulant" in ctx.medication_classes),
                          ("coagulopathy", "coagulopathy" in ctx.conditions)):
        if present:
            if deep:
                found.append((BLOCK, code, f"{code.replace('_', ' ')}: no {target.replace('_', ' ')} injection "
                                           "(deep or vascular target, bleeding risk)"))
            else:
                found.append((WARN, code, f"{code.replace('_', ' ')}: bleeding risk — compress after injecting"))
    if ganglion is not None:
        for code in ("antiplatelet", "nsaid"):
            if code in ctx.medication_classes:
                found.append((WARN, code, f"{'NSAID' if code == 'nsaid' else 'antiplatelet drug'} with a "
                                          f"ganglion or plexus injection: bleeding risk"))
    # Pregnancy
    pregnancy_block = bool(ganglion and ganglion["contraindications"].get("pregnancy"))
    if ctx.pregnant is True:
        if pregnancy_block:
            found.append((BLOCK, "pregnancy", f"pregnancy: {ganglion['name']} is a hard stop"))
        else:
            found.append((WARN, "pregnancy", "pregnancy: weigh every injection"))
    elif ctx.pregnant is None and pregnancy_block and ctx.sex in ("female", "other", "unknown"):
        found.append((WARN, "pregnancy_unknown", f"pregnancy status unknown: rule out pregnancy before "
                                                 f"{ganglion['name']}"))
    # Cautions of the drug and of the target
    cautions = drug.get("cautions", {})
    caution_conditions = set(cautions.get("conditions", []))
    caution_medications = set(cautions.get("medication_classes", []))
    if ganglion is not None:
        caution_conditions |= set(ganglion.get("cautions", {}).get("conditions", []))
        caution_medications |= set(ganglion.get("cautions", {}).get("medication_classes", []))
    for code in sorted(ctx.conditions & caution_conditions):
        found.append((WARN, code, f"{code.replace('_', ' ')}: caution with {drug['name'].lower()}"
                                  f"{' at the ' + ganglion['name'] if ganglion and code in ganglion.get('cautions', {}).get('conditions', []) else ''}"))
    for code in sorted(ctx.medication_classes & caution_medications):
        found.append((WARN, code, f"{code.replace('_', ' ')}: caution with {drug['name'].lower()}"))
    for interaction in drug.get("interactions", []):
        if interaction["medication_class"] in ctx.medication_classes and interaction["medication_class"] != "other":
            found.append((WARN, interaction["medication_class"], interaction["effect"]))
    for code in sorted(ctx.conditions & set(drug["limits"].get("warn_for_conditions", []))):
        found.append((WARN, "organ_impairment", f"{code.replace('_', ' ')}: reduce the dose"))
    return found


def _scope_rules(injection, ctx):
    kb = ctx.kb
    target = injection["target"]
    found = []
    if ctx.profession is None:
        return [(WARN, "scope_unknown", "practitioner unknown: scope of practice and training not checked")]
    for rule in kb.all("scope-rule"):
        verdict = BLOCK if rule.get("enforcement") == "block" else WARN
        if ctx.profession in rule["professions"]:
            allowed = rule.get("allowed_targets")
            if allowed is not None and target not in allowed:
                found.append((verdict, "scope_of_practice",
                              f"{rule['name']}: not a {target.replace('_', ' ')} injection"))
            limit = rule.get("max_concentration_percent")
            if limit is not None and injection["concentration_percent"] > limit:
                found.append((verdict, "scope_of_practice", f"{rule['name']}: "
                              f"{_fmt(injection['concentration_percent'])} % is above {_fmt(limit)} %"))
        elif target in rule.get("targets", []):
            exceptions = {e["profession"]: e["targets"] for e in rule.get("exceptions", [])}
            if target not in exceptions.get(ctx.profession, []):
                found.append((verdict, "scope_of_practice",
                              f"{rule['name']}: not for a {ctx.profession.replace('_', ' ')}"))
    if ctx.trained is not None and target not in ctx.trained:
        found.append((WARN, "untrained_technique", f"{target.replace('_', ' ')} is not among the techniques of the "
                                                   "practitioner's recorded training"))
    return found


def check(case, kb):
    ctx = Context(case, kb)
    injections = case.get("planned_injections", [])
    first_drug = injections[0]["drug"] if injections else "procaine"
    limit_mg, hng_limit_mg = ctx.limits(first_drug)
    # Procaine and lidocaine add up: each injection uses its share of its own drug's
    # limit, and the session is over when the shares exceed the whole.
    used = 0.0
    crossed = False
    hng_given = []  # (time, share of the head/neck/genital limit) so far
    stellate_sides = set()
    results = []
    total = 0.0
    for index, injection in enumerate(injections):
        drug = kb.get("drug", injection["drug"])
        technique = kb.get("technique", injection["target"])
        mg = round(injection["concentration_percent"] * drug["mg_per_ml_per_percent"] * injection["volume_ml"], 3)
        total = round(total + mg, 3)
        session_limit, hng_limit = ctx.limits(injection["drug"])
        used += mg / session_limit
        reasons = []
        if injection["concentration_percent"] > drug["limits"]["max_concentration_percent"]:
            reasons.append((BLOCK, "concentration_too_high",
                            f"{_fmt(injection['concentration_percent'])} % is above the "
                            f"{_fmt(drug['limits']['max_concentration_percent'])} % limit"))
        if mg > technique["max_mg"]:
            reasons.append((BLOCK, "per_application_limit",
                            f"{_fmt(mg)} mg is above the {_fmt(technique['max_mg'])} mg limit for one "
                            f"{technique['name'].lower()} application"))
        if not ctx.weight:
            reasons.append((WARN, "weight_unknown", f"weight unknown: the session limit is "
                                                    f"{_fmt(session_limit)} mg, not adjusted to body weight"))
        if crossed or used > 1 + 1e-9:
            reasons.append((BLOCK, "session_limit",
                            f"the session limit of {_fmt(session_limit)} mg is already exceeded" if crossed else
                            f"{_fmt(total)} mg in this session exceeds the {_fmt(session_limit)} mg limit"))
            crossed = True
        if hng_limit is not None and _in_head_neck_genital(injection, kb):
            when = _time(injection.get("time"))
            hng_given.append((when, mg / hng_limit))
            window = drug["limits"]["head_neck_genital"]["window_minutes"]
            share = _window_load(hng_given, when, window * 60)
            if share > 1 + 1e-9:
                reasons.append((BLOCK, "head_neck_genital_limit",
                                f"about {_fmt(round(share * hng_limit, 1))} mg in the head, neck or genital area "
                                f"within {window // 60} h exceeds {_fmt(hng_limit)} mg"))
        if injection["target"] == "stellate":
            sides = _sides(injection, kb)
            if len(sides | stellate_sides) == 2 and (len(sides) == 2 or stellate_sides):
                reasons.append((WARN, "bilateral_stellate", "stellate ganglion on both sides in one session"))
            stellate_sides |= sides
        reasons += _patient_rules(injection, ctx)
        reasons += _scope_rules(injection, ctx)
        verdict = _worst([v for v, _c, _m in reasons])
        results.append({
            "index": index, "mg": mg, "cumulative_mg": total, "verdict": verdict,
            "reasons": [{"code": code, "message": message} for _v, code, message in _unique(reasons)],
        })
    return {
        "limit_mg": limit_mg,
        "head_neck_genital_limit_mg": hng_limit_mg,
        "total_mg": round(total, 3),
        "verdict": _worst([r["verdict"] for r in results]),
        "knowledge_version": kb.version,
        "injections": results,
    }


def _unique(reasons):
    seen = set()
    for reason in reasons:
        if reason[1:] not in seen:
            seen.add(reason[1:])
            yield reason
