"""The emergency card's numbers: lipid emulsion for local anaesthetic systemic toxicity
(LAST) after ASRA and after the AAGBI, lean body weight, and adrenaline for anaphylaxis.

Pure Python. Every figure comes from the knowledge base's protocols (``last``,
``last-aagbi``, ``lean-body-weight``, ``anaphylaxis``); the functions only do the
arithmetic. The Learn page, the session's LAST box and the session's emergency card all
call these, so they never disagree. What is unknown is said, as a code the page turns
into a sentence: a missing height or weight is never silently replaced.
"""

from .base import load

SEXES = ("male", "female")


def _number(name, value, low, high):
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not low < value <= high:
        raise ValueError(f"{name}: must be a number above {low} and at most {high}")
    return float(value)


def _protocol(protocol_id, kb=None):
    return (kb or load()).get("protocol", protocol_id)


def lean_body_weight(weight_kg, height_cm, sex, entry=None):
    """Lean body weight (kg) from weight, height and sex (Janmahasatian 2005).

    Returns ``{"kg", "bmi", "sex_used"}``; ``sex_used`` is ``"male"``, ``"female"`` or
    ``"unknown"`` (then the knowledge base says which of the two estimates to take).
    Raises ValueError naming the argument for an impossible weight or height.
    """
    weight = _number("weight_kg", weight_kg, 0, 400)
    height = _number("height_cm", height_cm, 30, 250)
    entry = entry or _protocol("lean-body-weight")
    bmi = weight / (height / 100) ** 2

    def estimate(which):
        f = entry["formula"][which]
        return f["numerator"] * weight / (f["intercept"] + f["slope"] * bmi)

    if sex in SEXES:
        kg, used = estimate(sex), sex
    else:
        both = [estimate(s) for s in SEXES]
        if entry["sex_unknown"] == "lower":
            kg = min(both)
        elif entry["sex_unknown"] == "higher":
            kg = max(both)
        else:
            raise ValueError(f"lean-body-weight: unknown sex_unknown rule {entry['sex_unknown']!r}")
        used = "unknown"
    # At an implausibly low BMI the formula exceeds the weight itself; lean is never more.
    return {"kg": min(round(kg, 1), weight), "bmi": round(bmi, 1), "sex_used": used}


def weight_plausibility(weight_kg, entry=None):
    """Is ``weight_kg`` a weight to dose on without a second look?

    ``None`` when it lies within the knowledge base's plausible range (protocol
    ``weight-plausibility``), else ``{"code": "below" or "above", "weight_kg", "min_kg",
    "max_kg"}``: the page says to check the weight (a typing error, pounds for kilograms, a
    child) and still shows the doses. Raises ValueError naming the argument for a weight
    that is not a number above 0.
    """
    weight = _number("weight_kg", weight_kg, 0, float("inf"))
    bounds = (entry or _protocol("weight-plausibility"))["range_kg"]
    if bounds["min"] <= weight <= bounds["max"]:
        return None
    return {"code": "below" if weight < bounds["min"] else "above", "weight_kg": weight_kg,
            "min_kg": bounds["min"], "max_kg": bounds["max"]}


def lipid_doses(weight_kg, protocol=None, *, lean_kg=None):
    """Doses of 20 % lipid emulsion after the ASRA checklist for a patient of ``weight_kg``.

    Up to the weight threshold the checklist doses per kg of lean body weight: pass
    ``lean_kg`` when it is known. Without it the doses fall back to the actual weight and
    ``dose_basis`` says ``"actual"`` (the page warns: lean body weight is lower, so these
    are the most it could be). Returns bolus (mL), infusion (mL/min, or a total over
    minutes above the threshold), the upper limit (mL) and the weights used.
    """
    weight = _number("weight_kg", weight_kg, 0, 400)
    if lean_kg is not None:
        lean_kg = _number("lean_kg", lean_kg, 0, weight)
    lipid = (protocol or _protocol("last"))["lipid_emulsion"]
    common = {
        "weight_kg": weight_kg,
        "if_unstable": lipid["if_unstable"],
        "continue_minutes_after_stability": lipid["continue_minutes_after_stability"],
        "max_ml_per_kg": lipid["max_ml_per_kg"],
        "max_minutes": lipid.get("max_minutes"),
    }
    threshold_weight = weight if lipid.get("threshold_on", "actual") == "actual" else (lean_kg or weight)
    if threshold_weight <= lipid["weight_threshold_kg"]:
        rule = lipid["at_or_below_threshold"]
        on_lean = lipid.get("dose_on") == "lean" and lean_kg is not None
        dose_weight = lean_kg if on_lean else weight
        return {
            **common,
            "above_threshold": False,
            "dose_weight_kg": round(dose_weight, 1),
            "dose_basis": "lean" if on_lean else "actual",
            "lean_wanted": lipid.get("dose_on") == "lean",
            "bolus_ml": round(rule["bolus_ml_per_kg"] * dose_weight, 1),
            "bolus_minutes": rule["bolus_minutes"],
            "infusion_ml_per_min": round(rule["infusion_ml_per_kg_per_min"] * dose_weight, 1),
            "infusion_total_ml": None,
            "infusion_minutes": None,
            "max_total_ml": round(lipid["max_ml_per_kg"] * _max_weight(lipid, dose_weight, weight, lean_kg)),
        }
    rule = lipid["above_threshold"]
    return {
        **common,
        "above_threshold": True,
        "dose_weight_kg": round(weight, 1),
        "dose_basis": "fixed",
        "lean_wanted": False,
        "bolus_ml": rule["bolus_ml"],
        "bolus_minutes": rule["bolus_minutes"],
        "infusion_ml_per_min": None,
        "infusion_total_ml": f"{rule['infusion_ml_min']}–{rule['infusion_ml_max']}",
        "infusion_minutes": rule["infusion_minutes"],
        "max_total_ml": round(lipid["max_ml_per_kg"] * _max_weight(lipid, weight, weight, lean_kg)),
    }


def _max_weight(lipid, dose_weight, weight, lean_kg):
    basis = lipid.get("max_on", "actual")
    if basis == "dose_weight":
        return dose_weight
    if basis == "lean":
        return lean_kg if lean_kg is not None else weight
    return weight


def fixed_lipid_doses(protocol=None):
    """The checklist's fixed doses above the weight threshold: usable before anyone knows
    the weight, for a patient who clearly weighs more."""
    lipid = (protocol or _protocol("last"))["lipid_emulsion"]
    rule = lipid["above_threshold"]
    return {"threshold_kg": lipid["weight_threshold_kg"], "bolus_ml": rule["bolus_ml"],
            "bolus_minutes": rule["bolus_minutes"],
            "infusion_total_ml": f"{rule['infusion_ml_min']}–{rule['infusion_ml_max']}",
            "infusion_minutes": rule["infusion_minutes"]}


def aagbi_doses(weight_kg, entry=None, *, lean_kg=None):
    """Doses of 20 % lipid emulsion after the AAGBI guideline, on the weight its entry
    names (``dose_on``: ``actual`` or ``lean``)."""
    weight = _number("weight_kg", weight_kg, 0, 400)
    regimen = (entry or _protocol("last-aagbi"))["regimen"]
    on_lean = regimen["dose_on"] == "lean" and lean_kg is not None
    dose_weight = _number("lean_kg", lean_kg, 0, weight) if on_lean else weight
    return {
        "dose_weight_kg": round(dose_weight, 1),
        "dose_basis": "lean" if on_lean else "actual",
        "bolus_ml": round(regimen["bolus_ml_per_kg"] * dose_weight, 1),
        "bolus_minutes": regimen["bolus_minutes"],
        "infusion_ml_per_hour": round(regimen["infusion_ml_per_kg_per_hour"] * dose_weight),
        "repeat_boluses_max": regimen["repeat_boluses_max"],
        "repeat_after_minutes": regimen["repeat_after_minutes"],
        "doubled_infusion_ml_per_hour": round(regimen["doubled_infusion_ml_per_kg_per_hour"] * dose_weight),
        "max_total_ml": round(regimen["max_ml_per_kg"] * dose_weight),
        "max_ml_per_kg": regimen["max_ml_per_kg"],
    }


def adrenaline_dose(weight_kg, entry=None):
    """Intramuscular adrenaline for anaphylaxis: mg per kg up to the adult maximum, and
    the volume of the 1 mg/mL solution. ``weight_kg`` None gives the adult maximum only,
    flagged ``weight_known`` False."""
    adrenaline = (entry or _protocol("anaphylaxis"))["adrenaline"]
    concentration = adrenaline["concentration_mg_per_ml"]
    base = {"adult_max_mg": adrenaline["adult_max_mg"],
            "adult_max_ml": round(adrenaline["adult_max_mg"] / concentration, 2),
            "dose_mg_per_kg": adrenaline["dose_mg_per_kg"], "concentration_mg_per_ml": concentration,
            "route": adrenaline["route"], "repeat_after_minutes": adrenaline["repeat_after_minutes"]}
    if weight_kg is None:
        return {**base, "weight_known": False, "mg": None, "ml": None, "capped": None}
    weight = _number("weight_kg", weight_kg, 0, 400)
    by_weight = adrenaline["dose_mg_per_kg"] * weight
    mg = round(min(by_weight, adrenaline["adult_max_mg"]), 2)
    return {**base, "weight_known": True, "mg": mg, "ml": round(mg / concentration, 2),
            "capped": by_weight > adrenaline["adult_max_mg"]}


def emergency_card(weight_kg=None, height_cm=None, sex=None, age_years=None, kb=None):
    """Everything the session's emergency card shows for one patient, as plain data.

    ``warnings`` lists codes for what is unknown or uncertain, in the order the card
    shows them: ``weight_unknown``, ``height_unknown``, ``sex_unknown``,
    ``lean_formula_adults_only``.
    """
    kb = kb or load()
    last, lbw_entry = kb.get("protocol", "last"), kb.get("protocol", "lean-body-weight")
    warnings = []
    lean = None
    if weight_kg is None:
        warnings.append("weight_unknown")
    if height_cm is None:
        warnings.append("height_unknown")
    if weight_kg is not None and height_cm is not None:
        lean = lean_body_weight(weight_kg, height_cm, sex, lbw_entry)
        if lean["sex_used"] == "unknown":
            warnings.append("sex_unknown")
    if age_years is not None and age_years < lbw_entry["adult_from_years"]:
        warnings.append("lean_formula_adults_only")
    asra = lipid_doses(weight_kg, last, lean_kg=lean["kg"] if lean else None) if weight_kg is not None else None
    aagbi_entry = kb.get("protocol", "last-aagbi")
    aagbi = aagbi_doses(weight_kg, aagbi_entry, lean_kg=lean["kg"] if lean else None) \
        if weight_kg is not None else None
    anaphylaxis = kb.get("protocol", "anaphylaxis")
    return {
        "weight_kg": weight_kg, "height_cm": height_cm, "sex": sex, "age_years": age_years,
        "lean": lean, "warnings": warnings,
        # A lean weight is wanted but cannot be had: the ASRA doses are on actual weight.
        "asra_on_actual_weight": bool(asra and asra["lean_wanted"] and asra["dose_basis"] == "actual"),
        "last": last, "asra": asra, "asra_fixed": fixed_lipid_doses(last),
        "aagbi_entry": aagbi_entry, "aagbi": aagbi,
        "monitoring": kb.get("protocol", "last-monitoring"),
        "anaphylaxis": anaphylaxis, "adrenaline": adrenaline_dose(weight_kg, anaphylaxis),
        "vasovagal": kb.get("protocol", "vasovagal"),
    }
