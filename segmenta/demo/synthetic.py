"""Synthetic practices for benchmarks: many patients, realistic shapes, no real data.

Rows are written with bulk_create in batches, not through the app's views, so no audit
events are written: nothing here is a real patient's data. bulk_create passes the models'
signals by, so each batch brings the practice outcomes' figures up to date itself, and
names each row's clinic itself (save() would take it from the parent).
"""

import random
from datetime import date, datetime, timedelta, timezone

from django.db import transaction

from segmenta.accounts.models import Clinic
from segmenta.outcomes import aggregates
from segmenta.patients.models import Complaint, HistoryItem, Patient
from segmenta.treatment.models import AdverseEvent, ComplaintScore, Injection, Session

REGIONS = ["shoulder", "lower_back", "neck", "head", "knee", "abdomen_upper", "pelvis", "hip"]
TARGETS = ["wheal", "paravertebral", "scar", "tooth", "stellate", "trigger_point"]


def generate(patients, sessions_per_patient=20, clinic_name="Synthetic Practice", seed=7, batch=250):
    """Create ``patients`` patients with one complaint and their sessions; return counts."""
    rng = random.Random(seed)
    clinic, _created = Clinic.objects.get_or_create(name=clinic_name)
    start = datetime(2024, 1, 1, 9, 0, tzinfo=timezone.utc)
    made = {"patients": 0, "sessions": 0}
    offset = Patient.objects.filter(clinic=clinic).count()
    for first in range(0, patients, batch):
        size = min(batch, patients - first)
        with transaction.atomic():
            people = Patient.objects.bulk_create([
                Patient(clinic=clinic, record_number=f"S-{offset + first + i:06d}", family_name="Synthetic",
                        given_name=f"{offset + first + i:06d}", sex=rng.choice(["female", "male"]),
                        birth_date=date(1940 + rng.randrange(60), 1 + rng.randrange(12), 1 + rng.randrange(28)))
                for i in range(size)])
            complaints = Complaint.objects.bulk_create([
                Complaint(patient=p, clinic=clinic, description="synthetic complaint", onset="2023",
                          regions=[{"region": rng.choice(REGIONS), "side": "right"}]) for p in people])
            items = HistoryItem.objects.bulk_create([
                HistoryItem(patient=p, clinic=clinic, kind="scar", description="synthetic scar", date="2010") for p in people])
            sessions, plans = [], []
            for p, c, h in zip(people, complaints, items):
                nrs = rng.randint(4, 9)
                drift = rng.choice([-1, -1, 0, 0, 1]) * rng.random()
                for n in range(sessions_per_patient):
                    sessions.append(Session(patient=p, clinic=clinic, started_at=start + timedelta(days=7 * n, minutes=p.pk % 600)))
                    plans.append((c, h, max(0, min(10, round(nrs + drift * n))), n))
            sessions = Session.objects.bulk_create(sessions)
            ComplaintScore.objects.bulk_create([
                ComplaintScore(session=s, clinic=clinic, complaint=c, pre_nrs=value) for s, (c, _h, value, _n) in zip(sessions, plans)])
            Injection.objects.bulk_create([
                Injection(session=s, clinic=clinic, order=1, time=s.started_at, target=(target := rng.choice(TARGETS)),
                          concentration_percent=1, volume_ml=2, verdict="ok", mg=20, cumulative_mg=20,
                          history_item=h if target == "scar" else None, complaint=c if target == "scar" else None,
                          relief_percent=rng.choice([None, 30, 60, 100]) if target == "scar" else None,
                          onset_seconds=rng.randint(1, 400), duration_hours=rng.randint(0, 40))
                for s, (c, h, _v, _n) in zip(sessions, plans)])
            AdverseEvent.objects.bulk_create([
                AdverseEvent(session=s, clinic=clinic, kind=rng.choice(["vasovagal", "haematoma"]))
                for s in sessions if rng.random() < 0.02])
            aggregates.refresh([p.pk for p in people])
        made["patients"] += size
        made["sessions"] += len(sessions)
    return made
