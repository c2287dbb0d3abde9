"""Demonstration patients (data/demo_patients.json), created through the models'
own validation so the demo never shows a chart the app would refuse."""

import json
from pathlib import Path

from . import models as m

DATA = Path(__file__).resolve().parent / "data" / "demo_patients.json"


def demo_patients():
    with DATA.open(encoding="utf-8") as fh:
        return json.load(fh)["clinics"]


def _save(item):
    item.full_clean()
    item.save()
    return item


def create_demo_patient(clinic, entry):
    patient = _save(m.Patient(clinic=clinic, record_number=entry["record_number"], family_name=entry["family_name"],
                              given_name=entry["given_name"], birth_date=entry["birth_date"], sex=entry["sex"]))
    for date, kg in entry.get("weights", []):
        _save(m.WeightMeasurement(patient=patient, date=date, weight_kg=kg))
    for date, status in entry.get("pregnancy", []):
        _save(m.PregnancyStatus(patient=patient, date=date, status=status))
    for a in entry.get("allergies", []):
        _save(m.Allergy(patient=patient, substance=a["substance"], allergy_class=a["class"],
                        reaction=a.get("reaction", "")))
    for med in entry.get("medications", []):
        _save(m.Medication(patient=patient, name=med["name"], medication_class=med["class"], dose=med.get("dose", "")))
    for c in entry.get("conditions", []):
        _save(m.Condition(patient=patient, code=c.get("code", ""), text=c.get("text", "")))
    if "consent" in entry:
        c = entry["consent"]
        # A demo signature: a short wavy stroke.
        _save(m.Consent(patient=patient, date=c["date"], scope=c["scope"], method=c["method"],
                        signature_svg="M40 140 L80 90 L120 150 L160 80 L200 140 L240 100 L300 130"))
    for c in entry.get("complaints", []):
        _save(m.Complaint(patient=patient, description=c["description"], regions=c.get("regions", []),
                          organs=c.get("organs", []), onset=c.get("onset", ""), nrs=c.get("nrs"),
                          findings=c.get("findings", [])))
    for h in entry.get("history", []):
        _save(m.HistoryItem(patient=patient, kind=h["kind"], tooth=h.get("tooth", ""), date=h.get("date", ""),
                            description=h["description"], regions=h.get("regions", []), organs=h.get("organs", []),
                            signs=h.get("signs", [])))
    return patient
