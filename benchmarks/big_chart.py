"""A big chart for benchmarks: one patient with 1,000 injections and 200 history items.

Everything is written through the models (each entry with its first version, sessions
signed through the app's own signing), as years of real use would leave it; no real data.

Add it to the database of SEGMENTA_VAR_DIR / DATABASE_URL (after `segmenta demo`):
    .venv/bin/python benchmarks/big_chart.py [--injections 1000] [--history 200]
It prints the new patient's id; benchmarks/http.py builds it with --big-chart.
"""

import argparse
import os
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

# (Its own folder must not come first: benchmarks/http.py would shadow the standard library's http.)
sys.path[0] = str(Path(__file__).resolve().parents[1])

KINDS = ["scar", "tooth", "tonsils", "sinus", "fracture", "infection", "trauma"]
SIGNS = ["pain", "itching", "weather_sensitive", "keloid"]
TARGETS = ["wheal", "paravertebral", "scar", "trigger_point", "tooth", "stellate"]


def build(clinic, practitioner, injections=1000, history=200, complaints=5, per_session=10, seed=1):
    """Create the patient and return it. ``injections`` are spread over sessions of
    ``per_session`` each (one week apart, all but the last signed), each session scoring
    every complaint."""
    from django.db import transaction

    from segmenta.knowledge import vocabulary
    from segmenta.patients.bodymap import segments
    from segmenta.patients.models import Complaint, HistoryItem, Patient
    from segmenta.treatment.models import ComplaintScore, Injection, Session
    from segmenta.treatment.sessions import sign

    rng = random.Random(seed)
    choir = sorted(segments())
    teeth = vocabulary.codes("tooth")

    def place():
        segment = rng.choice(choir)
        return [{"choir": segment, "side": segments()[segment]["side"]}]

    with transaction.atomic():
        number = Patient.objects.filter(clinic=clinic, family_name="Bigchart").count() + 1
        patient = Patient.objects.create(clinic=clinic, family_name="Bigchart", given_name=f"Benchmark {number}",
                                         record_number=f"BIG-{number:04d}", sex="female",
                                         birth_date=datetime(1968, 4, 2).date(), created_by=practitioner)
        found = [Complaint.objects.create(patient=patient, recorded_by=practitioner, description=f"complaint {i + 1}",
                                          regions=place(), onset=f"{2015 + i}", nrs=rng.randint(3, 8))
                 for i in range(complaints)]
        items = []
        for i in range(history):
            kind = KINDS[i % len(KINDS)]
            items.append(HistoryItem.objects.create(
                patient=patient, recorded_by=practitioner, kind=kind, tooth=rng.choice(teeth) if kind == "tooth" else "",
                date=f"{1970 + i % 55}", description=f"{kind} {i + 1}", regions=[] if kind == "tooth" else place(),
                signs=rng.sample(SIGNS, rng.randint(0, len(SIGNS)))))
        start = datetime(2018, 1, 9, 9, 0, tzinfo=UTC)
        sessions = []
        for n in range(-(-injections // per_session)):
            session = Session.objects.create(patient=patient, started_at=start + timedelta(days=7 * n),
                                             practitioner=practitioner, notes="Benchmark session.")
            for complaint in found:
                before = rng.randint(2, 8)
                ComplaintScore.objects.create(session=session, complaint=complaint, pre_nrs=before,
                                              post_nrs=max(0, before - rng.randint(0, 3)))
            for order in range(1, min(per_session, injections - n * per_session) + 1):
                target = rng.choice(TARGETS)
                tested = rng.choice(items) if target in ("scar", "tooth") else None
                Injection.objects.create(
                    session=session, order=order, time=session.started_at + timedelta(minutes=2 * order),
                    target=target, regions=place(), history_item=tested,
                    complaint=found[0] if tested else None, concentration_percent=1, volume_ml=0.5, mg=5,
                    cumulative_mg=5 * order, verdict="ok", performed_by=practitioner,
                    relief_percent=rng.choice([None, 30, 100]) if tested else None)
            sessions.append(session)
        for session in sessions[:-1]:
            sign(session, practitioner)
    return patient


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--injections", type=int, default=1000)
    parser.add_argument("--history", type=int, default=200)
    parser.add_argument("--clinic", default="Demo Praxis")
    parser.add_argument("--practitioner", default="demo-doctor")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "segmenta.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from segmenta.accounts.models import Clinic

    clinic = Clinic.objects.filter(name=args.clinic).first()
    user = get_user_model().objects.filter(username=args.practitioner).first()
    if clinic is None or user is None:
        sys.exit(f"--clinic/--practitioner: {args.clinic!r} or {args.practitioner!r} not found; run `segmenta demo` first")
    patient = build(clinic, user, injections=args.injections, history=args.history)
    print(patient.pk)


if __name__ == "__main__":
    main()
