"""Demonstration patients (data/demo_patients.json), created through the models'
own validation so the demo never shows a chart the app would refuse."""

import json
from datetime import date, datetime, time, timedelta
from pathlib import Path

from django.utils.dateparse import parse_datetime
from django.utils.timezone import get_default_timezone, make_aware

from segmenta.outcomes.responses import save_answers
from segmenta.patients import models as m
from segmenta.treatment.models import AdverseEvent, ComplaintScore, Injection, Lot, Product, Session, TreatmentPlan
from segmenta.treatment.sessions import sign

DATA = Path(__file__).resolve().parent / "data" / "demo_patients.json"


def demo_patients():
    with DATA.open(encoding="utf-8") as fh:
        return json.load(fh)["clinics"]


def _save(item):
    item.full_clean()
    item.save()
    return item


# A demo shelf: single-dose ampoules for everything, and one preserved multi-dose vial that the
# safety check refuses at the stellate ganglion and other preservative-free targets.
PRODUCTS = [
    ("Procaine 1 % 2 mL ampoule", "procaine", 1, False, False),
    ("Procaine 2 % 2 mL ampoule", "procaine", 2, False, False),
    ("Procaine 1 % 50 mL vial (preserved)", "procaine", 1, True, True),
    ("Lidocaine 1 % 5 mL ampoule", "lidocaine", 1, False, False),
]


# Pack data and the shelf, per product: (units per pack, mL per unit, low below, lots as
# (number, expiry in days from today or a fixed date, units received), made-up price per
# unit). The 2 % ampoules expire within the stock list's 60 days; the preserved vial is down
# to its last one (low).
STOCK = {
    PRODUCTS[0][0]: (10, 2, 20, [("DEMO-2611", date(2028, 6, 30), 400)], "0.95"),
    PRODUCTS[1][0]: (10, 2, 10, [("DEMO-2544", 40, 30)], "1.10"),
    PRODUCTS[2][0]: (1, 50, 2, [("DEMO-V318", 300, 1)], "12.40"),
    PRODUCTS[3][0]: (10, 5, 10, [("DEMO-L207", 500, 20)], "1.35"),
}


def demo_products(clinic):
    """The clinic's demo products with their lots on the shelf (idempotent); returns the
    everyday procaine 1 % ampoule."""
    today = date.today()
    for name, drug, conc, preservative, multi_dose in PRODUCTS:
        per_pack, unit_ml, low, lots, price = STOCK[name]
        product, _created = Product.objects.get_or_create(clinic=clinic, name=name, defaults={
            "drug": drug, "concentration_percent": conc, "preservative": preservative, "multi_dose": multi_dose,
            "units_per_pack": per_pack, "unit_volume_ml": unit_ml, "low_stock_units": low,
            "unit_price": price})
        for number, expiry, units in lots:
            expiry = expiry if isinstance(expiry, date) else today + timedelta(days=expiry)
            Lot.objects.get_or_create(clinic=clinic, product=product, number=number, defaults={
                "expiry": expiry, "quantity_received": units, "received_on": today - timedelta(days=100)})
    return Product.objects.get(clinic=clinic, name=PRODUCTS[0][0])


def create_demo_patient(clinic, entry):
    patient = _save(m.Patient(clinic=clinic, record_number=entry["record_number"], family_name=entry["family_name"],
                              given_name=entry["given_name"], birth_date=entry["birth_date"], sex=entry["sex"],
                              language=entry.get("language", "en"), email=entry.get("email", ""),
                              phone=entry.get("phone", ""), address=entry.get("address", "")))
    for date, kg, *height in entry.get("weights", []):  # [date, kg] or [date, kg, cm]
        _save(m.WeightMeasurement(patient=patient, date=date, weight_kg=kg, height_cm=height[0] if height else None))
    for date, status in entry.get("pregnancy", []):
        _save(m.PregnancyStatus(patient=patient, date=date, status=status))
    for a in entry.get("allergies", []):
        _save(m.Allergy(patient=patient, substance=a["substance"], allergy_class=a["class"],
                        reaction=a.get("reaction", "")))
    for med in entry.get("medications", []):
        last_dose = parse_datetime(med["last_dose"]) if "last_dose" in med else None
        _save(m.Medication(patient=patient, name=med["name"], medication_class=med["class"], dose=med.get("dose", ""),
                           last_dose=make_aware(last_dose) if last_dose else None))
    for kind, date in entry.get("reviewed", {}).items():
        _save(m.ChartReview(patient=patient, kind=kind, date=date))
    for c in entry.get("conditions", []):
        _save(m.Condition(patient=patient, code=c.get("code", ""), text=c.get("text", "")))
    if "consent" in entry:
        c = entry["consent"]
        # A demo signature: a short wavy stroke.
        _save(m.Consent(patient=patient, date=c["date"], scope=c["scope"], method=c["method"],
                        scopes=c.get("scopes", ["injection_therapy"]),
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


# Appointment slots of the demo clinic, in its own time zone (settings.TIME_ZONE): mornings
# 8:00–11:30 and afternoons 14:00–17:00, every half hour.
SLOTS = [time(h, m) for h in (8, 9, 10, 11, 14, 15, 16) for m in (0, 30)]
FIRST_DAY = date(2026, 9, 1)  # a Tuesday: the first sessions fall on Tuesday to Friday


def clinic_hours(pick):
    """The first session of a demo course at ``pick`` (0–48, as drawn): a weekday slot in
    clinic hours, local time; the next ones follow weekly at the same local time."""
    day = FIRST_DAY + timedelta(days=pick // len(SLOTS))
    return datetime.combine(day, SLOTS[pick % len(SLOTS)], tzinfo=get_default_timezone())


def weekly(first, n):
    """``first`` + n weeks, at the same time on the clinic's clock (across the change to
    winter time too)."""
    return datetime.combine(first.date() + timedelta(days=7 * n), first.timetz())


def create_demo_course(patient, practitioner, rng):
    """A few weeks of treatment for the demo: sessions with NRS, a wheal and, in the
    second session, a test injection of the first history item; questionnaires at the
    start and the end. Earlier sessions are signed, the last one is a draft."""
    complaint = patient.complaints.first()
    if complaint is None or complaint.findings:
        return  # red flags first: no treatment course for them in the demo
    item = patient.history.first()
    ampoule = demo_products(patient.clinic)
    lot = Lot.objects.get(clinic=patient.clinic, product=ampoule, number="DEMO-2611")
    given = {"performed_by": practitioner, "product": ampoule, "stock_lot": lot, "lot": lot.number,
             "expiry": lot.expiry}
    plan = TreatmentPlan.objects.create(patient=patient, complaint=complaint, created_by=practitioner,
                                        goals="Pain below 3 on the NRS; back to work without restrictions")
    count = rng.randint(3, 7)
    responder = rng.random() < 0.65
    tests_a_field = rng.random() < 0.6
    ganglionic = not tests_a_field and rng.random() < 0.5
    start = clinic_hours(rng.randint(0, 48))
    nrs = complaint.nrs if complaint.nrs is not None else 6
    sessions = []
    for n in range(count):
        session = Session.objects.create(patient=patient, plan=plan, started_at=weekly(start, n),
                                         practitioner=practitioner, notes="Demo session.")
        before = max(0, round(nrs * (1 - (0.12 if responder else 0.03) * n)))
        ComplaintScore.objects.create(session=session, complaint=complaint, pre_nrs=before,
                                      post_nrs=max(0, before - rng.randint(0, 2)))
        Injection.objects.create(session=session, order=1, time=session.started_at, target="wheal",
                                 regions=complaint.regions[:1], concentration_percent=1, volume_ml=0.5, mg=5,
                                 cumulative_mg=5, verdict="ok", **given)
        if n == 0 and ganglionic:
            Injection.objects.create(session=session, order=3, time=session.started_at + timedelta(minutes=20),
                                     target="stellate", regions=[{"region": "neck", "side": "right"}],
                                     concentration_percent=1, volume_ml=3, mg=30, cumulative_mg=35, verdict="ok",
                                     aspiration_done=True, **given)
        if n == 1 and item is not None and tests_a_field:
            relief = 100 if responder else rng.choice([10, 40])
            Injection.objects.create(
                session=session, order=2, time=session.started_at + timedelta(minutes=10),
                target="tooth" if item.kind == "tooth" else "scar", regions=item.regions[:1],
                history_item=item, complaint=complaint, concentration_percent=1, volume_ml=2, mg=20,
                cumulative_mg=25, verdict="ok", onset_seconds=rng.randint(2, 30), relief_percent=relief,
                duration_hours=rng.choice([10, 24, 36]) if relief == 100 else 1, **given)
        if rng.random() < 0.05:
            AdverseEvent.objects.create(session=session, kind="vasovagal", description="Brief dizziness, lying down")
        sessions.append(session)
    for session in sessions[:-1]:
        sign(session, practitioner)
    for answers_at, value in ((0, 2 if not responder else 1), (count - 1, 1 if not responder else 0)):
        # Item 9 (thoughts of self-harm) stays "not at all": it would raise an urgent alert.
        # Answered in the waiting room, a quarter of an hour before that session.
        save_answers(patient, "phq-9", {f"phq9-{i}": ("several_days" if value and i < 9 else "not_at_all")
                                        for i in range(1, 10)}, entered_by=practitioner,
                     answered_at=sessions[answers_at].started_at - timedelta(minutes=15), language=patient.language)
