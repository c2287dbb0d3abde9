"""Practice-outcome summary speed on a synthetic practice (target: under 2 s for 10,000
patients and 200,000 sessions).

SQLite (a throwaway database under /tmp):   .venv/bin/python benchmarks/outcomes.py
PostgreSQL:   DATABASE_URL=postgres://… .venv/bin/python benchmarks/outcomes.py
Options: --patients 10000 --rounds 3
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        os.environ["SEGMENTA_VAR_DIR"] = tempfile.mkdtemp(prefix="segmenta-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "segmenta.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from segmenta.accounts.models import Clinic
    from segmenta.outcomes.summary import summary
    from segmenta.demo.synthetic import generate
    from segmenta.patients.models import Patient
    from segmenta.treatment.models import Session

    call_command("migrate", verbosity=0)
    clinic = Clinic.objects.filter(name="Synthetic Practice").first()
    have = Patient.objects.filter(clinic=clinic).count() if clinic else 0
    if have < args.patients:
        start = time.perf_counter()
        generate(args.patients - have)
        print(f"generated {args.patients - have} patients in {time.perf_counter() - start:.1f} s")
    if connection.vendor == "postgresql":
        # Fresh bulk loads have no planner statistics yet; a live database has them.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    clinics = Clinic.objects.filter(name="Synthetic Practice")
    sessions = Session.objects.filter(patient__clinic__in=clinics).count()
    timings = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        result = summary(clinics)
        timings.append(time.perf_counter() - start)
    median = statistics.median(timings)
    print(f"outcomes summary on {connection.vendor}: {args.patients} patients, {sessions} sessions, "
          f"{result['overall']['n']} scored complaints")
    print(f"median {median:.2f} s over {args.rounds} rounds; target < 2 s: {'met' if median < 2 else 'NOT met'}")


if __name__ == "__main__":
    main()
