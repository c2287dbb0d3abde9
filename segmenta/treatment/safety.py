"""The safety engine: every planned injection checked before it is given.

Pure Python (no Django). ``check(case, kb)`` reads ``planned_injections`` in order
and answers, for each, its dose in mg, the running total, a verdict (``ok``, ``warn``
or ``block``) and the reasons, each with a stable code. Every limit, contraindication
and scope rule comes from the knowledge base (clinic overrides included), so a clinic's
own dose policy applies without code changes.

Unknown is not none: where a rule cannot be checked (weight, the practitioner's
profession, a list never reviewed, a stale pregnancy status, a blood thinner's last
dose) the engine warns or blocks rather than stays silent. Fields the case format added
in version 1 (``reviewed``, ``consent``, ``given_injections``, ``product``, …) apply only
when a case states them, so older cases answer as before.
"""

import math
import re
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

from segmenta.knowledge.phrases import Day, Number, Phrase, code, gettext_noop, term
from segmenta.treatment.huneke import item_regions

OK, WARN, BLOCK = "ok", "warn", "block"
SEVERITY = {OK: 0, WARN: 1, BLOCK: 2}


def _worst(verdicts):
    return max(verdicts, key=SEVERITY.__getitem__, default=OK)


def _time(value, end_of_day=False):
    """A comparable time: aware times in UTC, naive ones as given (one clinic's clock).

    A date without a time is the start of that day, or its end with ``end_of_day``
    (a last dose "on the 24th" may have been taken late that evening).
    """
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if len(value) == 10 and end_of_day:
        parsed = parsed.replace(hour=23, minute=59)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


def _floor(mg):
    """Limits are rounded down, never up."""
    return math.floor(mg * 10 + 1e-9) / 10


def _words(code):
    return code.replace("_", " ")


def _day(value):
    """The local day of a time as written ("2026-12-01T00:30+01:00" is the 1st of December,
    where it was given): expiry, age and a status's validity count in days there."""
    return date.fromisoformat(value[:10]) if value else None


def _birth_range(value):
    """(earliest, latest) birth date a partial date allows: "1971" is any day of 1971."""
    parts = [int(p) for p in value.split("-")]
    year, month = parts[0], parts[1] if len(parts) > 1 else None
    if len(parts) == 3:
        return date(*parts), date(*parts)
    if month is None:
        return date(year, 1, 1), date(year, 12, 31)
    last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1))
    return date(year, month, 1), last


def _years_between(born, day):
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _hours(hours):
    if hours >= 48 and hours % 24 == 0:
        return Phrase(gettext_noop("%(days)s days"), days=Number(hours / 24))
    return Phrase(gettext_noop("%(hours)s h"), hours=Number(hours))


def _as_written(value):
    """A number the engine writes as Python writes it (a count of days or hours)."""
    return Number(value, english=str(value))


def _whole(value):
    """A count of hours as the engine writes it: rounded to whole ones."""
    return Number(value, places=0, english=f"{value:.0f}")


class Context:
    """What the rules need to know about the patient, practitioner and knowledge base."""

    def __init__(self, case, kb):
        patient = case.get("patient", {})
        self.kb = kb
        self.patient = patient
        self.weight = patient.get("weight_kg")
        self.pregnant = patient.get("pregnant")
        self.pregnancy_stated = "pregnant" in patient
        self.sex = patient.get("sex", "unknown")
        self.birth = _birth_range(patient["birth_date"]) if patient.get("birth_date") else None
        self.reviewed = patient.get("reviewed")
        self.conditions = set(patient.get("conditions", []))
        self.medications = patient.get("medications", [])
        self.medication_classes = {m["class"] for m in self.medications}
        self.allergies = patient.get("allergies", [])
        self.findings = set(case.get("findings", []))
        for complaint in case.get("complaints", []):
            if complaint.get("status") != "resolved":
                self.findings.update(complaint.get("findings", []))
        practitioner = case.get("practitioner")
        self.profession = practitioner.get("profession") if practitioner else None
        self.jurisdiction = practitioner.get("jurisdiction") if practitioner else None
        self.trained = set(practitioner.get("trained_techniques", [])) if practitioner else None
        self.consent = case.get("consent")
        self.given = [g for g in case.get("given_injections", [])]
        self.ganglion_targets = {g["target"]: g for g in kb.all("ganglion")}
        self.bleeders = bleeding_agents(self.medications, kb)
        self.unclassified = unclassified_medications(self.medications, kb)
        # The moment rules are judged at when an injection has no time of its own.
        times = [_time(i.get("time")) for i in case.get("planned_injections", []) + self.given]
        self.as_of = max((t for t in times if t is not None), default=None) or \
            datetime.now(timezone.utc).replace(tzinfo=None)

    def rule(self, rule_id):
        return self.kb.get("safety-rule", rule_id)

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

    def ages(self, day):
        """(youngest, oldest) the patient can be on ``day``; (None, None) without a birth date.
        Limits for children take the youngest, those for older patients the oldest."""
        if self.birth is None:
            return None, None
        earliest, latest = self.birth
        return _years_between(latest, day), _years_between(earliest, day)

    def pregnancy(self, day):
        """pregnant, not_pregnant, unknown (none recorded or out of date), unstated (the case
        does not say: only hard stops warn, as before version 1 additions) or not_applicable."""
        rule = self.rule("pregnancy_status")
        if self.pregnant is True or "possible_pregnancy" in self.findings:
            return "pregnant", None
        if self.sex == "male":
            return "not_applicable", None
        youngest, oldest = self.ages(day)
        if youngest is not None and (oldest < rule["ages"]["min"] or youngest > rule["ages"]["max"]):
            return "not_applicable", None
        if not self.pregnancy_stated:
            return "unstated", None
        reviewed = self.reviewed or {}
        checked = reviewed.get("pregnancy")
        if self.pregnant is None or ("pregnancy" in reviewed and checked is None):
            return "unknown", None
        if checked and (day - date.fromisoformat(checked)).days > rule["valid_days"]:
            return "unknown", checked
        return "not_pregnant", None


def _names(agent, name):
    """Does a medication's name name this agent? As a word, or as the first part of a
    hyphenated generic ("Clopidogrel-ratiopharm"), never inside another word ("Glass")."""
    names = tuple(agent["names"])
    return bool(names) and _name_pattern(names).search(name) is not None


@lru_cache(maxsize=1024)
def _name_pattern(names):
    """One pattern for all of an agent's names, built once: every safety check and every
    chart's strip asks it of each medication for each of some thirty agents."""
    return re.compile("|".join(rf"(?<![\w-]){re.escape(n.lower())}(?!\w)" for n in names))


def bleeding_agents(medications, kb):
    """[(medication, agent)] for every blood thinner among ``medications``: each agent the
    name matches (a combination names several), and where the recorded class names a kind of
    blood thinner that none of them is (aspirin recorded as an anticoagulant), an unidentified
    agent of that class, with no known hold time."""
    agents = kb.all("bleeding-agent")
    unidentified = kb.get("safety-rule", "bleeding")["unidentified"]
    found = []
    for medication in medications:
        name = (medication.get("name") or "").lower()
        matched = [a for a in agents if _names(a, name)]
        fallback = unidentified.get(medication["class"])
        if fallback and not any(a["code"] == fallback["code"] for a in matched):
            matched.append({"id": None, "name": medication.get("name") or _words(medication["class"]),
                            "policy": fallback["policy"], "code": fallback["code"], "hold_hours": None})
        found.extend((medication, agent) for agent in matched)
    return found


def unclassified_medications(medications, kb):
    """The medications whose class the safety rule ``unclassified_medication`` names (nobody
    has classed them yet) and that no blood thinner's name identifies: those the bleeding rule
    judges by their agent; the others may still thin the blood or interact."""
    classes = set(kb.get("safety-rule", "unclassified_medication")["classes"])
    return [medication for medication in medications
            if medication["class"] in classes and not bleeding_agents([medication], kb)]


def agent_status(medication, agent, ctx, when):
    """(still active?, why): inside its hold time, with its last dose unknown, with no known
    hold time, or past it without the normal INR a warfarin-type drug needs."""
    last = _time(medication.get("last_dose"), end_of_day=True)
    hold = agent["hold_hours"]
    for condition, hours in agent.get("hold_hours_for_conditions", {}).items():
        if hold is not None and condition in ctx.conditions:
            hold = max(hold, hours)
    if hold is None:
        return True, Phrase(gettext_noop("agent not identified, so no hold time is known"))
    if last is None:
        return True, Phrase(gettext_noop("last dose not recorded — it is held %(hold)s"), hold=_hours(hold))
    since = (when - last).total_seconds() / 3600
    if since < 0:
        return True, Phrase(gettext_noop("the last dose recorded lies after this injection, so it was still being "
                                         "taken"))
    if since < hold:
        return True, Phrase(gettext_noop("last dose %(since)s h ago, inside the %(hold)s it is held"),
                            since=_whole(since), hold=_hours(hold))
    if agent.get("requires_finding") and agent["requires_finding"] not in ctx.findings:
        return True, Phrase(gettext_noop("held %(since)s h, but a normal INR is not recorded"), since=_whole(since))
    return False, None


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


def _within(then, when, hours):
    """Did ``then`` happen within ``hours`` before (or at) ``when``? Unknown times count."""
    return then is None or when is None or 0 <= (when - then).total_seconds() < hours * 3600


def _sides(injection, kb):
    sides = {injection.get("side")} | {side for _r, side in item_regions(injection, kb)}
    if "both" in sides:
        return {"left", "right"}
    return sides & {"left", "right"}


def _mg(injection, kb):
    drug = kb.get("drug", injection["drug"])
    return round(injection["concentration_percent"] * drug["mg_per_ml_per_percent"] * injection["volume_ml"], 3)


# --- Rules about the patient -------------------------------------------------------------

def _allergy_and_condition_rules(injection, ctx):
    drug = ctx.kb.get("drug", injection["drug"])
    contra = drug["contraindications"]
    found = []
    for allergy in ctx.allergies:
        by_class = allergy["class"] in contra["allergy_classes"]
        substance = allergy.get("substance", "").strip().lower()
        by_name = any(name in substance for name in contra.get("allergy_substances", []))
        if by_class or by_name:
            found.append((BLOCK, "allergy", Phrase(
                gettext_noop("allergy to %(substance)s (%(allergy_class)s): %(drug)s is contraindicated"),
                substance=allergy.get("substance") or code("allergy_class", allergy["class"], english=allergy["class"]),
                allergy_class=code("allergy_class", allergy["class"]), drug=term(drug, lower=True))))
    for condition in sorted(ctx.conditions & set(contra["conditions"])):
        found.append((BLOCK, condition, Phrase(gettext_noop("%(condition)s: %(drug)s is contraindicated"),
                                               condition=code("condition", condition), drug=term(drug, lower=True))))
    ganglion = ctx.ganglion_targets.get(injection["target"])
    for condition in sorted(ctx.conditions & set((ganglion or {}).get("contraindications", {}).get("conditions", []))):
        found.append((BLOCK, condition, Phrase(gettext_noop("%(condition)s: no injection at the %(ganglion)s"),
                                               condition=code("condition", condition),
                                               ganglion=term(ganglion, inside=True))))
    # An allergy without a class that names no contraindicated substance may still be one.
    known = [name for d in ctx.kb.all("drug") for name in d["contraindications"].get("allergy_substances", [])]
    for allergy in ctx.allergies:
        substance = allergy.get("substance", "").strip().lower()
        if allergy["class"] == "other" and not any(name in substance for name in known):
            found.append((ctx.rule("allergies")["unclassified"], "allergy_unclassified", Phrase(
                gettext_noop("allergy to %(substance)s has no class: check it is not to a local anaesthetic, PABA, "
                             "a paraben or a sulfonamide, and class it"),
                substance=allergy.get("substance") or Phrase(gettext_noop("an unnamed substance")))))
    return found


def _agent_name(agent, medication):
    """A blood thinner as the knowledge base names it; an unidentified one by its recorded class."""
    return term(agent) if agent["id"] else code("medication_class", medication["class"])


# The procedure a bleeding reason names, by its ASRA bleeding-risk class.
_PROCEDURE = {"low": gettext_noop("a low-risk %(technique)s injection"),
              "intermediate": gettext_noop("an intermediate-risk %(technique)s injection"),
              "high": gettext_noop("a high-risk %(technique)s injection")}


def _bleeding_rules(injection, ctx, when):
    """Bleeding risk by the procedure's ASRA class and each blood thinner's hold time."""
    technique = ctx.kb.get("technique", injection["target"])
    risk = technique["asra_class"]
    rule = ctx.rule("bleeding")
    if risk in _PROCEDURE:
        what = Phrase(_PROCEDURE[risk], technique=term(technique, lower=True))
    else:  # a class the catalogs do not know: said in English
        what = f"{'an' if risk[0] in 'aeiou' else 'a'} {risk}-risk {technique['name'].lower()} injection"
    found = []
    for medication, agent in ctx.bleeders:
        active, why = agent_status(medication, agent, ctx, when)
        if active:
            found.append((rule["policy"][agent["policy"]][risk], agent["code"], Phrase(
                gettext_noop("%(medication)s (%(medication_class)s): %(why)s, before %(procedure)s"),
                medication=medication.get("name") or _agent_name(agent, medication), why=why, procedure=what,
                medication_class=code("medication_class", medication["class"]))))
    if "coagulopathy" in ctx.conditions:
        found.append((rule["coagulopathy"][risk], "coagulopathy",
                      Phrase(gettext_noop("coagulopathy: bleeding risk at %(procedure)s"), procedure=what)))
    return found


def _pregnancy_rules(injection, ctx, day, unstated_is_unknown=False):
    """``unstated_is_unknown``: a case that does not state pregnancy at all counts as unknown
    (the assessment never offers a hard stop plainly when pregnancy has not been asked)."""
    ganglion = ctx.ganglion_targets.get(injection["target"])
    hard_stop = bool(ganglion and ganglion["contraindications"].get("pregnancy"))
    state, checked = ctx.pregnancy(day)
    if state == "unstated" and unstated_is_unknown:
        state = "unknown"
    rule = ctx.rule("pregnancy_status")
    if state == "pregnant":
        if hard_stop:
            return [(BLOCK, "pregnancy", Phrase(gettext_noop("pregnancy: %(ganglion)s is a hard stop"),
                                                ganglion=term(ganglion, inside=True)))]
        return [(WARN, "pregnancy", Phrase(gettext_noop("pregnancy: weigh every injection")))]
    if state == "unknown":
        why = (Phrase(gettext_noop("the last 'not pregnant' dates from %(date)s, over %(days)s days ago"),
                      date=Day(checked), days=_as_written(rule["valid_days"])) if checked
               else Phrase(gettext_noop("no current status recorded")))
        if hard_stop:
            return [(rule["hard_stop_unknown"], "pregnancy_unknown", Phrase(
                gettext_noop("pregnancy status unknown (%(why)s): rule out pregnancy before the %(ganglion)s, "
                             "a hard stop in pregnancy"), why=why, ganglion=term(ganglion, inside=True)))]
        return [(WARN, "pregnancy_unknown",
                 Phrase(gettext_noop("pregnancy status unknown (%(why)s): rule out pregnancy"), why=why))]
    if state == "unstated" and hard_stop:
        return [(WARN, "pregnancy_unknown", Phrase(
            gettext_noop("pregnancy status unknown: rule out pregnancy before %(ganglion)s"),
            ganglion=term(ganglion, inside=True)))]
    return []


def _age_rules(injection, ctx, day):
    rule = ctx.rule("age")
    youngest, oldest = ctx.ages(day)
    if youngest is None:
        return [(rule["age_unknown"], "age_unknown", Phrase(gettext_noop(
            "age unknown (no birth date): the limits for children and older patients cannot be checked")))]
    technique = ctx.kb.get("technique", injection["target"])
    age = str(youngest) if youngest == oldest else f"{youngest}–{oldest}"
    if youngest < rule["child_below_years"]:
        found = []
        if technique["depth"] in rule["child_blocked_depths"] or injection["target"] in rule["child_blocked_targets"]:
            found.append((BLOCK, "age_under_15", Phrase(
                gettext_noop("%(age)s years old: no %(technique)s injection under %(years)s (no labelled experience)"),
                age=age, technique=term(technique, lower=True), years=_as_written(rule["child_below_years"]))))
        else:
            found.append((WARN, "age_under_15", Phrase(
                gettext_noop("%(age)s years old: the labels report no experience under %(years)s; weight-based "
                             "limits apply"), age=age, years=_as_written(rule["child_below_years"]))))
        if not ctx.weight:
            found.append((rule["child_weight_unknown"], "weight_unknown",
                          Phrase(gettext_noop("a child's weight must be known before any injection"))))
        return found
    if oldest >= rule["older_from_years"]:
        return [(WARN, "age_65_or_over", Phrase(
            gettext_noop("%(age)s years old: the labels ask for a reduced dose in older patients"), age=age))]
    return []


def _caution_rules(injection, ctx):
    drug = ctx.kb.get("drug", injection["drug"])
    ganglion = ctx.ganglion_targets.get(injection["target"])
    cautions = drug.get("cautions", {})
    caution_conditions = set(cautions.get("conditions", []))
    caution_medications = set(cautions.get("medication_classes", []))
    ganglion_conditions = set(ganglion.get("cautions", {}).get("conditions", [])) if ganglion else set()
    if ganglion is not None:
        caution_conditions |= ganglion_conditions
        caution_medications |= set(ganglion.get("cautions", {}).get("medication_classes", []))
    found = []
    for condition in sorted(ctx.conditions & caution_conditions):
        if condition in ganglion_conditions:
            found.append((WARN, condition, Phrase(gettext_noop("%(condition)s: caution with %(drug)s at the "
                                                               "%(ganglion)s"), condition=code("condition", condition),
                                                  drug=term(drug, lower=True), ganglion=term(ganglion, inside=True))))
        else:
            found.append((WARN, condition, Phrase(gettext_noop("%(condition)s: caution with %(drug)s"),
                                                  condition=code("condition", condition), drug=term(drug, lower=True))))
    for medication_class in sorted(ctx.medication_classes & caution_medications):
        found.append((WARN, medication_class, Phrase(gettext_noop("%(condition)s: caution with %(drug)s"),
                                                     condition=code("medication_class", medication_class),
                                                     drug=term(drug, lower=True))))
    for index, interaction in enumerate(drug.get("interactions", [])):
        if interaction["medication_class"] in ctx.medication_classes and interaction["medication_class"] != "other":
            found.append((WARN, interaction["medication_class"],
                          Phrase.text(term(drug, ("interactions", index, "effect")))))
    for condition in sorted(ctx.conditions & set(drug["limits"].get("warn_for_conditions", []))):
        found.append((WARN, "organ_impairment", Phrase(gettext_noop("%(condition)s: reduce the dose"),
                                                       condition=code("condition", condition))))
    return found


def _patient_rules(injection, ctx, when, day, unstated_is_unknown=False):
    """Everything about this patient that bears on this injection, whatever its dose."""
    return (_allergy_and_condition_rules(injection, ctx) + _bleeding_rules(injection, ctx, when)
            + _pregnancy_rules(injection, ctx, day, unstated_is_unknown) + _age_rules(injection, ctx, day))


def _consent_rules(ctx):
    if ctx.consent is None:
        return []
    rule = ctx.rule("consent")
    status = ctx.consent["status"]
    if status == "given":
        scope = ctx.consent.get("scope")
        if scope is not None and rule["required_scope"] not in scope:
            return [(WARN, "consent_scope", Phrase(gettext_noop("the consent on record does not cover %(scope)s"),
                                                   scope=code("consent_scope", rule["required_scope"])))]
        return []
    reason = {"none": "no_consent", "withdrawn": "consent_withdrawn", "refused": "consent_refused"}[status]
    dated = ctx.consent.get("date")
    message = {"none": Phrase(gettext_noop("no consent to injection therapy on record")),
               "withdrawn": Phrase(gettext_noop("consent withdrawn on %(date)s"), date=Day(dated)) if dated
               else Phrase(gettext_noop("consent withdrawn")),
               "refused": Phrase(gettext_noop("consent refused on %(date)s"), date=Day(dated)) if dated
               else Phrase(gettext_noop("consent refused"))}[status]
    return [(rule["verdicts"][status], reason, message)]


_NOT_REVIEWED = {"allergies": gettext_noop("allergies never reviewed: unknown, not none — ask and record them"),
                 "medications": gettext_noop("medications never reviewed: unknown, not none — ask and record them")}


def _unclassified_medications(ctx):
    """Each medication nobody has classed yet is named, never passed as harmless (safety rule
    ``unclassified_medication``)."""
    verdict = ctx.rule("unclassified_medication")["verdict"]
    return [(verdict, "medication_unclassified", Phrase(
        gettext_noop("%(medication)s has no class yet: check whether it thins the blood or interacts with "
                     "the local anaesthetic, and class it"),
        medication=medication.get("name") or Phrase(gettext_noop("an unnamed medication"))))
        for medication in ctx.unclassified]


def _review_rules(ctx):
    if ctx.reviewed is None:
        return []
    verdict = ctx.rule("list_review")["verdict"]
    return [(verdict, f"{kind}_not_reviewed", Phrase(_NOT_REVIEWED[kind]))
            for kind in ("allergies", "medications") if ctx.reviewed.get(kind) is None]


def _product_rules(injection, ctx, day):
    product = injection.get("product")
    if not product:
        return []
    found = []
    name = product.get("name") or Phrase(gettext_noop("the product"))
    expiry = product.get("expiry")
    rule = ctx.rule("product_expiry")
    if expiry and date.fromisoformat(expiry) < day:
        found.append((rule["verdict"], "product_expired",
                      Phrase(gettext_noop("%(product)s lot %(lot)s expired on %(date)s"), product=name,
                             lot=product["lot"], date=Day(expiry)) if product.get("lot")
                      else Phrase(gettext_noop("%(product)s expired on %(date)s"), product=name, date=Day(expiry))))
    elif not expiry:
        found.append((rule["unknown"], "expiry_unknown",
                      Phrase(gettext_noop("%(product)s: expiry date not recorded"), product=name)))
    technique = ctx.kb.get("technique", injection["target"])
    if technique.get("preservative_free"):
        verdict = ctx.rule("preserved_products")["verdict"]
        where = term(technique, lower=True)
        if product.get("preservative"):
            found.append((verdict, "preserved_product", Phrase(gettext_noop(
                "%(product)s contains a preservative: only a preservative-free single dose may be used at the "
                "%(technique)s"), product=name, technique=where)))
        elif product.get("multi_dose"):
            found.append((verdict, "preserved_product", Phrase(gettext_noop(
                "%(product)s comes from a multi-dose vial: only a preservative-free single dose may be used at the "
                "%(technique)s"), product=name, technique=where)))
        elif "preservative" not in product or "multi_dose" not in product:
            found.append((WARN, "preservative_unknown", Phrase(gettext_noop(
                "%(product)s: not known to be a preservative-free single dose, required at the %(technique)s"),
                product=name, technique=where)))
    return found


# --- Rules about the practitioner --------------------------------------------------------

def _matches(code, jurisdiction):
    return code == "any" or jurisdiction == code or jurisdiction.split("-")[0] == code


def _applies(rule, jurisdiction):
    """Does a scope rule apply where the practitioner is licensed (None = unknown)?"""
    if jurisdiction is None:
        if "any" not in rule["jurisdictions"]:
            return False
        return not rule.get("except_jurisdictions") or rule.get("when_jurisdiction_unknown", "apply") == "apply"
    return (any(_matches(code, jurisdiction) for code in rule["jurisdictions"])
            and not any(_matches(code, jurisdiction) for code in rule.get("except_jurisdictions", [])))


def _scope_rules(injection, ctx):
    kb = ctx.kb
    target = injection["target"]
    technique = kb.get("technique", target)
    if ctx.profession is None:
        rule = ctx.rule("unknown_profession")
        verdict = rule["deep_verdict"] if technique["deep"] else rule["other_verdict"]
        if verdict == BLOCK:
            return [(verdict, "scope_unknown", Phrase(gettext_noop(
                "the injecting practitioner's profession is unknown or not verified: scope of practice not checked; "
                "no deep or ganglion injection")))]
        return [(verdict, "scope_unknown", Phrase(gettext_noop(
            "the injecting practitioner's profession is unknown or not verified: scope of practice not checked")))]
    rules = [r for r in kb.all("scope-rule") if _applies(r, ctx.jurisdiction)]
    profession = next((r["treat_as"] for r in rules if "treat_as" in r and ctx.profession in r["professions"]),
                      ctx.profession)
    place = {"jurisdiction": ctx.jurisdiction} if ctx.jurisdiction else {}
    found = []
    for rule in rules:
        if "treat_as" in rule:
            continue
        verdict = BLOCK if rule.get("enforcement") == "block" else WARN
        name = term(rule)
        if profession in rule["professions"]:
            if rule.get("status") == "denied":
                found.append((verdict, "scope_of_practice", Phrase(
                    gettext_noop("%(rule)s: no injections by a %(profession)s in %(jurisdiction)s") if place
                    else gettext_noop("%(rule)s: no injections by a %(profession)s"),
                    rule=name, profession=code("profession", profession), **place)))
            elif rule.get("status") == "unknown":
                found.append((verdict, "scope_unknown", Phrase(
                    gettext_noop("%(rule)s: check that the licence allows a %(target)s injection in %(jurisdiction)s")
                    if place else gettext_noop("%(rule)s: check that the licence allows a %(target)s injection"),
                    rule=name, target=code("injection_target", target), **place)))
            allowed = rule.get("allowed_targets")
            if allowed is not None and target not in allowed:
                outside = BLOCK if technique["deep"] and rule.get("deep_enforcement") == "block" else verdict
                found.append((outside, "scope_of_practice", Phrase(gettext_noop("%(rule)s: not a %(target)s injection"),
                                                                   rule=name, target=code("injection_target", target))))
            limit = rule.get("max_concentration_percent")
            if limit is not None and injection["concentration_percent"] > limit:
                found.append((verdict, "scope_of_practice", Phrase(
                    gettext_noop("%(rule)s: %(given)s %% is above %(limit)s %%"), rule=name,
                    given=Number(injection["concentration_percent"]), limit=Number(limit))))
        elif target in rule.get("targets", []):
            exceptions = {e["profession"]: e["targets"] for e in rule.get("exceptions", [])}
            if target not in exceptions.get(profession, []):
                found.append((verdict, "scope_of_practice", Phrase(gettext_noop("%(rule)s: not for a %(profession)s"),
                                                                   rule=name,
                                                                   profession=code("profession", profession))))
    if ctx.trained is not None and target not in ctx.trained:
        found.append((WARN, "untrained_technique", Phrase(
            gettext_noop("%(target)s is not among the techniques of the practitioner's recorded training"),
            target=code("injection_target", target))))
    return found


# --- Dose --------------------------------------------------------------------------------

def _target_rules(injection, mg, kb):
    """The drug's concentration, the target's maximum and its typical volume."""
    drug = kb.get("drug", injection["drug"])
    technique = kb.get("technique", injection["target"])
    found = []
    if injection["concentration_percent"] > drug["limits"]["max_concentration_percent"]:
        found.append((BLOCK, "concentration_too_high", Phrase(
            gettext_noop("%(given)s %% is above the %(limit)s %% limit"),
            given=Number(injection["concentration_percent"]),
            limit=Number(drug["limits"]["max_concentration_percent"]))))
    limit = technique["limits"][injection["drug"]]
    if mg > limit["max_mg"] + 1e-9:
        found.append((BLOCK, "per_application_limit", Phrase(
            gettext_noop("%(mg)s mg of %(drug)s is above the %(limit)s mg limit for one %(technique)s application"),
            mg=Number(mg), drug=term(drug, lower=True), limit=Number(limit["max_mg"]),
            technique=term(technique, lower=True))))
    elif "max_ml" in limit and injection["volume_ml"] > limit["max_ml"] + 1e-9:
        found.append((BLOCK, "per_application_limit", Phrase(
            gettext_noop("%(ml)s mL is above the %(limit)s mL of one %(technique)s"), ml=Number(injection["volume_ml"]),
            limit=Number(limit["max_ml"]), technique=term(technique, lower=True))))
    ganglion = kb.get("ganglion", technique["ganglion"]) if "ganglion" in technique else None
    typical = technique.get("typical_ml") or (ganglion or {}).get("volume_ml")
    if typical and injection["volume_ml"] > typical["max"] + 1e-9:
        found.append((WARN, "above_typical_volume", Phrase(
            gettext_noop("%(ml)s mL is more than the %(least)s–%(most)s mL usually given at the %(technique)s"),
            ml=Number(injection["volume_ml"]), least=Number(typical["min"]), most=Number(typical["max"]),
            technique=term(technique, lower=True))))
    return found


def _stellate_rule(injection, kb, rule, when, earlier):
    """Stellate blocks on both sides within the window; ``earlier`` are (time, sides) of the
    other stellate blocks (this session's and other sessions'). A block whose side is not
    recorded may be on either side."""
    sides = _sides(injection, kb)
    near = [s for t, s in earlier if t is None or when is None
            or abs((when - t).total_seconds()) < rule["window_hours"] * 3600]
    found = []
    if not sides:
        found.append((rule["side_unknown"], "stellate_side_unknown",
                      Phrase(gettext_noop("stellate ganglion: side not recorded"))))
    if len(sides) == 2 or (near and (not sides or any(not s or s != sides for s in near))):
        found.append((rule["verdict"], "bilateral_stellate", Phrase(
            gettext_noop("stellate ganglion on both sides (or a side unknown) within %(hours)s h: risk of bilateral "
                         "recurrent laryngeal palsy"), hours=_as_written(rule["window_hours"]))))
    return found


def check(case, kb):
    ctx = Context(case, kb)
    injections = case.get("planned_injections", [])
    first_drug = injections[0]["drug"] if injections else "procaine"
    limit_mg, hng_limit_mg = ctx.limits(first_drug)
    total_hours = ctx.rule("rolling_total")["window_hours"]
    stellate = ctx.rule("bilateral_stellate")
    # Injections already given (other sessions): (time, drug, mg, injection).
    given = [(_time(g.get("time")), g["drug"], _mg(g, kb), g) for g in ctx.given]
    # Procaine and lidocaine add up: each injection uses its share of its own drug's
    # limit, and the limit is crossed when the shares exceed the whole.
    given_shares = [(t, mg / ctx.limits(drug)[0]) for t, drug, mg, _g in given]
    used = 0.0
    crossed = False
    hng_given = [(t, mg / ctx.limits(drug)[1]) for t, drug, mg, g in given
                 if ctx.limits(drug)[1] is not None and _in_head_neck_genital(g, kb)]
    stellates = [(t, _sides(g, kb)) for t, _d, _mg, g in given if g["target"] in stellate["targets"]]
    general = _review_rules(ctx) + _consent_rules(ctx) + _unclassified_medications(ctx)
    weight_verdict = ctx.rule("weight")["unknown"]
    results = []
    total = 0.0
    for index, injection in enumerate(injections):
        drug = kb.get("drug", injection["drug"])
        mg = _mg(injection, kb)
        total = round(total + mg, 3)
        session_limit, hng_limit = ctx.limits(injection["drug"])
        used += mg / session_limit
        when = _time(injection.get("time"))
        at = when or ctx.as_of
        # Days count where the injection is given; an injection without a time is judged
        # no earlier than today (an expiry must not pass unnoticed).
        day = _day(injection.get("time")) or max(ctx.as_of.date(), date.today())
        reasons = _target_rules(injection, mg, kb)
        if not ctx.weight:
            reasons.append((weight_verdict, "weight_unknown", Phrase(
                gettext_noop("weight unknown: the session limit is %(limit)s mg, not adjusted to body weight"),
                limit=Number(session_limit))))
        # This session counts whole; other sessions by the worst 24-hour window around it,
        # later ones included (a session charted afterwards must not slip past the limit).
        elsewhere = _window_load(given_shares, when, total_hours * 3600) if given_shares else 0.0
        if crossed or used + elsewhere > 1 + 1e-9:
            if crossed:
                message = Phrase(gettext_noop("the session limit is already exceeded"))
            elif elsewhere:
                message = Phrase(gettext_noop("with what other sessions gave within %(hours)s h, about %(share)s %% of "
                                              "the limit is used (%(limit)s mg of %(drug)s)"),
                                 hours=_as_written(total_hours), share=Number(round((used + elsewhere) * 100)),
                                 limit=Number(session_limit), drug=term(drug, lower=True))
            elif len({i["drug"] for i in injections[:index + 1]}) > 1:
                message = Phrase(gettext_noop("procaine and lidocaine together use about %(share)s %% of their limits "
                                              "in this session"), share=Number(round(used * 100)))
            else:
                message = Phrase(gettext_noop("%(total)s mg in this session exceeds the %(limit)s mg limit"),
                                 total=Number(total), limit=Number(session_limit))
            reasons.append((BLOCK, "session_limit", message))
            crossed = True
        if hng_limit is not None and _in_head_neck_genital(injection, kb):
            hng_given.append((when, mg / hng_limit))
            window = drug["limits"]["head_neck_genital"]["window_minutes"]
            share = _window_load(hng_given, when, window * 60)
            if share > 1 + 1e-9:
                reasons.append((BLOCK, "head_neck_genital_limit", Phrase(
                    gettext_noop("about %(mg)s mg in the head, neck or genital area within %(hours)s h exceeds "
                                 "%(limit)s mg"), mg=Number(round(share * hng_limit, 1)),
                    hours=_as_written(window // 60),
                    limit=Number(hng_limit))))
        if injection["target"] in stellate["targets"]:
            reasons += _stellate_rule(injection, kb, stellate, when, stellates)
            stellates.append((when, _sides(injection, kb)))
        reasons += _patient_rules(injection, ctx, at, day)
        reasons += _caution_rules(injection, ctx)
        reasons += general
        reasons += _product_rules(injection, ctx, day)
        reasons += _scope_rules(injection, ctx)
        unique = list(_unique(reasons))
        results.append({
            "index": index, "mg": mg, "cumulative_mg": total, "verdict": _worst([v for v, _c, _m in unique]),
            "reasons": [{"code": code, "message": message, "verdict": verdict} for verdict, code, message in unique],
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
    """Each code once, at its worst: two reasons with the same code keep the graver one
    (messages joined when they differ)."""
    by_code = {}
    for verdict, reason, message in reasons:
        if reason not in by_code:
            by_code[reason] = [verdict, reason, message]
        else:
            kept = by_code[reason]
            if SEVERITY[verdict] > SEVERITY[kept[0]]:
                kept[0] = verdict
            if message not in kept[2]:
                kept[2] = Phrase.joined([kept[2], message])

    for verdict, reason, message in by_code.values():
        yield verdict, reason, message


def target_contraindications(case, target, kb):
    """Why ``target`` must not be injected in this patient, whatever the dose: the
    patient-specific reasons that block it (allergy, condition, bleeding, pregnancy, age,
    consent) for every drug there is. An empty list: not contraindicated. A case that does
    not state pregnancy counts as unknown here, so a hard stop is never offered plainly."""
    ctx = Context(case, kb)
    blocked = []
    for drug in kb.all("drug"):
        probe = {"target": target, "drug": drug["id"], "concentration_percent": 0.5, "volume_ml": 0.1}
        found = _patient_rules(probe, ctx, ctx.as_of, ctx.as_of.date(), unstated_is_unknown=True)
        reasons = [r for r in _unique(found + _consent_rules(ctx)) if r[0] == BLOCK]
        if not reasons:
            return []
        blocked.append(reasons)
    return [{"code": code, "message": message} for _v, code, message in blocked[0]]


def budget(case, kb, when=None):
    """Today's dose for the safety strip: how much of each drug's limit the injections
    already given (``given_injections``) used within the rolling window before ``when``,
    and what is left."""
    return _budget(Context(case, kb), kb, when)


def _budget(ctx, kb, when):
    when = _time(when) if isinstance(when, str) else (when or ctx.as_of)
    if when is not None and when.tzinfo is not None:
        when = when.astimezone(timezone.utc).replace(tzinfo=None)
    window = ctx.rule("rolling_total")["window_hours"]
    earlier = [g for g in ctx.given if _within(_time(g.get("time")), when, window)]
    share = sum(_mg(g, kb) / ctx.limits(g["drug"])[0] for g in earlier)
    drugs = {}
    for drug in kb.all("drug"):
        limit = ctx.limits(drug["id"])[0]
        drugs[drug["id"]] = {"limit_mg": limit, "left_mg": _floor(max(0.0, (1 - share) * limit))}
    return {"window_hours": window, "used_mg": round(sum(_mg(g, kb) for g in earlier), 3),
            "share_used": round(share, 4), "drugs": drugs, "weight_known": bool(ctx.weight)}


def window_start(kb, when):
    """The earliest moment whose injections still count for ``when`` (rolling total and the
    bilateral-stellate rule), so a caller knows which earlier injections to pass.

    Counted in real hours, as ``_within`` counts them: an aware ``when`` is taken in UTC
    first. (Python subtracts hours from a local time on the wall clock, so on the night the
    clocks go forward "24 hours before" a local noon was only 23 real hours back, and an
    injection 23.5 hours earlier was never passed to the engine.)"""
    rules = (kb.get("safety-rule", "rolling_total"), kb.get("safety-rule", "bilateral_stellate"))
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc)
    return when - timedelta(hours=max(r["window_hours"] for r in rules))


def summary(case, kb, when=None):
    """What the safety strip shows at the top of the chart and the session: the facts a
    careful physician checks before injecting, each with whether it is known."""
    ctx = Context(case, kb)
    when = _time(when) if isinstance(when, str) else (when or ctx.as_of)
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc).replace(tzinfo=None)
    day = when.date()
    reviewed = ctx.reviewed or {}
    state, checked = ctx.pregnancy(day)
    thinners = []
    for medication, agent in ctx.bleeders:
        active, why = agent_status(medication, agent, ctx, when)
        thinners.append({"name": medication.get("name") or agent["name"], "class": medication["class"],
                         "code": agent["code"], "last_dose": medication.get("last_dose"),
                         "hold_hours": agent["hold_hours"], "held": not active, "why": why})
    youngest, oldest = ctx.ages(day)
    return {
        "age": youngest, "age_oldest": oldest, "sex": ctx.sex, "weight_kg": ctx.weight,
        "height_cm": ctx.patient.get("height_cm"),
        "allergies": [a.get("substance") or _words(a["class"]) for a in ctx.allergies],
        "allergies_reviewed": reviewed.get("allergies"), "medications_reviewed": reviewed.get("medications"),
        "blood_thinners": thinners,
        "pregnancy": state, "pregnancy_checked": checked or reviewed.get("pregnancy"),
        "consent": (ctx.consent or {}).get("status"),
        "budget": _budget(ctx, kb, when),
    }
