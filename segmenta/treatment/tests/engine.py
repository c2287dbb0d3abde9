"""Building cases for the safety engine's tests."""

from segmenta.knowledge.base import load
from segmenta.treatment.safety import check


def injection(target="wheal", conc=1, ml=0.5, region="lower_back", side="left", time="2026-11-25T10:00", **extra):
    data = {"target": target, "drug": "procaine", "concentration_percent": conc, "volume_ml": ml,
            "regions": [{"region": region, "side": side}], **extra}
    if time:
        data["time"] = time
    return data


ALL_TECHNIQUES = [t["id"] for t in load().all("technique")]


def run(injections, weight=70, profession="physician", trained=ALL_TECHNIQUES, kb=None, case=None, **patient):
    """Check ``injections`` for a 70 kg woman of 46 who does not state pregnancy, treated by a
    trained physician; keyword arguments change the patient, ``case`` adds or replaces top-level
    fields (``birth_date=None`` leaves the birth date out)."""
    patient = {"birth_date": "1980-06-15", **patient}
    if patient["birth_date"] is None:
        del patient["birth_date"]
    data = {"format": "segmenta-case/1", "patient": {"sex": "female", "weight_kg": weight, **patient},
            "practitioner": {"profession": profession, "trained_techniques": trained},
            "planned_injections": injections, **(case or {})}
    if profession is None:
        del data["practitioner"]
    return check(data, kb or load())


def codes(result, index=0):
    return [r["code"] for r in result["injections"][index]["reasons"]]


def verdicts(result):
    return [i["verdict"] for i in result["injections"]]


def reason(result, code, index=0):
    return next(r["message"] for r in result["injections"][index]["reasons"] if r["code"] == code)
