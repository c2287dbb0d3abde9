"""Lipid-emulsion doses for local anaesthetic systemic toxicity (LAST), from the
knowledge base's protocol. Pure Python: the Learn page and the session's emergency
view both call :func:`lipid_doses`."""

from .base import load


def lipid_doses(weight_kg, protocol=None):
    """Doses of 20 % lipid emulsion for a patient of ``weight_kg``.

    Returns bolus (mL), infusion (mL/min, or a total over minutes above the weight
    threshold) and the upper limit (mL). Raises ValueError for an impossible weight.
    """
    if not isinstance(weight_kg, (int, float)) or isinstance(weight_kg, bool) or not 0 < weight_kg <= 400:
        raise ValueError("weight_kg: must be a number above 0 and at most 400")
    lipid = (protocol or load().get("protocol", "last"))["lipid_emulsion"]
    upper_ml = round(lipid["max_ml_per_kg"] * weight_kg)
    if weight_kg <= lipid["weight_threshold_kg"]:
        rule = lipid["at_or_below_threshold"]
        return {
            "weight_kg": weight_kg,
            "bolus_ml": round(rule["bolus_ml_per_kg"] * weight_kg, 1),
            "bolus_minutes": rule["bolus_minutes"],
            "infusion_ml_per_min": round(rule["infusion_ml_per_kg_per_min"] * weight_kg, 1),
            "infusion_total_ml": None,
            "infusion_minutes": None,
            "max_total_ml": upper_ml,
            "continue_minutes_after_stability": lipid["continue_minutes_after_stability"],
            "if_unstable": lipid["if_unstable"],
        }
    rule = lipid["above_threshold"]
    return {
        "weight_kg": weight_kg,
        "bolus_ml": rule["bolus_ml"],
        "bolus_minutes": rule["bolus_minutes"],
        "infusion_ml_per_min": None,
        "infusion_total_ml": f"{rule['infusion_ml_min']}–{rule['infusion_ml_max']}",
        "infusion_minutes": rule["infusion_minutes"],
        "max_total_ml": upper_ml,
        "continue_minutes_after_stability": lipid["continue_minutes_after_stability"],
        "if_unstable": lipid["if_unstable"],
    }
