"""Practice-outcome speed on a synthetic practice (targets, issue 13: the outcomes page within
200 ms at 10,000 patients; the practice outcomes within 1 s at 100,000 patients and
2,000,000 sessions on PostgreSQL).

SQLite (a throwaway database under /tmp):   .venv/bin/python benchmarks/outcomes.py
PostgreSQL:   DATABASE_URL=postgres://… .venv/bin/python benchmarks/outcomes.py --patients 100000
Options: --patients 10000 (20 sessions each) --rounds 5

Times the summary (what the page and `segmenta outcomes summary` compute), the whole
outcomes page through Django's test client (a practitioner of the practice, logged in),
and, once, `segmenta outcomes rebuild`: every figure recomputed from every session, which is
what each read cost before the figures were kept current.
"""

import argparse
import os
import sys
import time
from pathlib import Path

# The repository instead of this folder, whose http.py would hide the standard library's.
sys.path[0] = str(Path(__file__).resolve().parents[1])

from benchmarks.common import analyze, django_setup, timed  # noqa: E402

PAGE_TARGET_MS = 200
SUMMARY_TARGET_MS = 1000


def generate_in_postgresql(clinic, patients, sessions_per_patient=20):
    """The synthetic practice's shape (segmenta.demo.synthetic: one complaint and one scar per
    patient, weekly sessions each with a score and an injection, a test injection of the scar
    when the target is a scar, an adverse event in one session of fifty), written by the
    server itself with generate_series: 2,000,000 sessions in minutes, not hours."""
    from django.db import connection, transaction

    from segmenta.outcomes import aggregates

    start = "2024-01-01 09:00:00+00"
    statements = [
        (f"""INSERT INTO patients_patient (clinic_id, record_number, family_name, given_name, birth_date, sex, phone,
                 email, created_at, updated_at, name_key, restriction_reason)
             SELECT %s, 'B-' || lpad(g::text, 7, '0'), 'Synthetic', lpad(g::text, 7, '0'),
                    date '1940-01-01' + (g * 7919 %% 21900), CASE WHEN g %% 2 = 0 THEN 'female' ELSE 'male' END,
                    '', '', now(), now(), 'synthetic ' || lpad(g::text, 7, '0'), ''
             FROM generate_series(1, %s) g""", [clinic.pk, patients]),
        ("""INSERT INTO patients_complaint (patient_id, recorded_at, description, regions, organs, onset, findings,
                 status, notes, error_reason)
            SELECT id, now(), 'synthetic complaint',
                   jsonb_build_array(jsonb_build_object('region', (ARRAY['shoulder', 'lower_back', 'neck', 'head', 'knee',
                       'abdomen_upper', 'pelvis', 'hip'])[1 + id %% 8], 'side', 'right')),
                   '[]', '2023', '[]', 'active', '', ''
            FROM patients_patient WHERE clinic_id = %s""", [clinic.pk]),
        ("""INSERT INTO patients_historyitem (patient_id, recorded_at, kind, tooth, date, regions, organs, description,
                 signs, notes, error_reason)
            SELECT id, now(), 'scar', '', '2010', '[]', '[]', 'synthetic scar', '[]', '', ''
            FROM patients_patient WHERE clinic_id = %s""", [clinic.pk]),
        (f"""INSERT INTO treatment_session (patient_id, started_at, notes, status, knowledge_version, content_hash,
                 created_at, content_format, inr_normal)
             SELECT p.id, timestamptz '{start}' + n * interval '7 days' + (p.id %% 600) * interval '1 minute', '',
                    'draft', '', '', now(), 3, false
             FROM patients_patient p CROSS JOIN generate_series(0, %s - 1) n WHERE p.clinic_id = %s""",
         [sessions_per_patient, clinic.pk]),
        (f"""INSERT INTO treatment_complaintscore (session_id, complaint_id, pre_nrs)
             SELECT s.id, c.id, greatest(0, least(10, round(4 + c.id %% 6 + ((c.id %% 5) - 2) * 0.4
                    * extract(epoch FROM s.started_at - timestamptz '{start}') / 604800)))
             FROM treatment_session s JOIN patients_patient p ON p.id = s.patient_id
             JOIN patients_complaint c ON c.patient_id = p.id WHERE p.clinic_id = %s""", [clinic.pk]),
        ("""INSERT INTO treatment_injection ("order", time, target, regions, side, drug, concentration_percent,
                 volume_ml, technique_notes, aspiration_done, verdict, reasons, mg, cumulative_mg, override_reason,
                 session_id, lot, history_item_id, complaint_id, relief_percent, onset_seconds, duration_hours)
            SELECT 1, s.started_at, t.target, '[]', '', 'procaine', 1, 2, '', false, 'ok', '[]', 20, 20, '', s.id, '',
                   CASE WHEN t.target = 'scar' THEN h.id END, CASE WHEN t.target = 'scar' THEN c.id END,
                   CASE WHEN t.target = 'scar' THEN (ARRAY[NULL, 30, 60, 100])[1 + s.id %% 4] END,
                   1 + s.id %% 400, s.id %% 41
            FROM treatment_session s JOIN patients_patient p ON p.id = s.patient_id
            JOIN patients_complaint c ON c.patient_id = p.id JOIN patients_historyitem h ON h.patient_id = p.id
            CROSS JOIN LATERAL (SELECT (ARRAY['wheal', 'paravertebral', 'scar', 'tooth', 'stellate',
                                              'trigger_point'])[1 + (s.id * 7) %% 6] AS target) t
            WHERE p.clinic_id = %s""", [clinic.pk]),
        ("""INSERT INTO treatment_adverseevent (session_id, kind, description, causality, outcome, severity,
                 treatment_given)
            SELECT s.id, CASE WHEN s.id %% 2 = 0 THEN 'vasovagal' ELSE 'haematoma' END, '', 'possible', 'unknown',
                   'mild', ''
            FROM treatment_session s JOIN patients_patient p ON p.id = s.patient_id
            WHERE p.clinic_id = %s AND s.id %% 50 = 0""", [clinic.pk]),
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
    aggregates.rebuild()
    return {"patients": patients, "sessions": patients * sessions_per_patient}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    os.environ["SEGMENTA_REQUIRE_MFA"] = "0"  # the page behind a plain login
    django_setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from segmenta.accounts.models import Clinic, Membership
    from segmenta.demo.synthetic import generate
    from segmenta.outcomes import aggregates
    from segmenta.outcomes.summary import summary
    from segmenta.patients.models import Patient
    from segmenta.treatment.models import Session

    clinic = Clinic.objects.filter(name="Synthetic Practice").first()
    have = Patient.objects.filter(clinic=clinic).count() if clinic else 0
    if have < args.patients:
        start = time.perf_counter()
        if connection.vendor == "postgresql" and have == 0:
            made = generate_in_postgresql(Clinic.objects.get_or_create(name="Synthetic Practice")[0], args.patients)
        else:
            made = generate(args.patients - have)
        print(f"generated {made['patients']} patients and {made['sessions']} sessions "
              f"in {time.perf_counter() - start:.0f} s")
    analyze()
    clinics = Clinic.objects.filter(name="Synthetic Practice")
    user, created = get_user_model().objects.get_or_create(username="outcomes-bench")
    if created:
        Membership.objects.create(user=user, clinic=clinics.get(), role="practitioner")
    client = Client()
    client.force_login(user)

    sessions = Session.objects.filter(patient__clinic__in=clinics).count()
    result = summary(clinics)
    print(f"practice outcomes on {connection.vendor}: {args.patients} patients, {sessions} sessions, "
          f"{result['overall']['n']} scored complaints; median of {args.rounds} rounds")
    cpu, wall = timed(lambda: summary(clinics), args.rounds)
    print(f"  summary {wall:8.1f} ms (processor here {cpu:.1f} ms); target <= {SUMMARY_TARGET_MS} ms at 100,000 "
          f"patients on PostgreSQL: {'met' if wall <= SUMMARY_TARGET_MS else 'NOT met'}")

    def page():
        response = client.get(reverse("outcomes:practice"))
        assert response.status_code == 200, response.status_code

    cpu, wall = timed(page, args.rounds)
    print(f"  outcomes page {wall:8.1f} ms (processor here {cpu:.1f} ms); target <= {PAGE_TARGET_MS} ms at 10,000 "
          f"patients: {'met' if wall <= PAGE_TARGET_MS else 'NOT met'}")
    start = time.perf_counter()
    complaints, patients = aggregates.rebuild()
    print(f"  rebuild from every session (segmenta outcomes rebuild): {time.perf_counter() - start:.1f} s "
          f"for {complaints} complaints of {patients} patients")


if __name__ == "__main__":
    main()
