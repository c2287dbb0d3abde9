"""One patient's chart and case export in a large clinic, on SQLite (issue 13: query costs
must stay flat with data size, not only query counts).

    .venv/bin/python benchmarks/big_clinic.py                  # 10,000 patients, 200,000 sessions
    .venv/bin/python benchmarks/big_clinic.py --patients 2000 --rounds 10

A throwaway SQLite database gets a synthetic practice (segmenta.demo.synthetic: weekly
sessions, each with a score and an injection). Times, through Django's test client, the
chart page and the case export (GET /api/v1/patients/{id}/case) of one of its patients:

- as the database comes from the bulk load, without the query planner's statistics, which is
  how a SQLite database stayed for good before segmenta/sqlite_backend: a read naming the clinic
  and the patient then went through every row of the clinic;
- after the connection closed once: Segmenta's SQLite backend runs ``PRAGMA optimize`` as a
  connection closes, which gathers the statistics of the tables it read.

Unlike the other benchmarks this one runs no ANALYZE itself: whether the statistics are there
is what it measures.
"""

import argparse
import os
import sys
from pathlib import Path

# The repository instead of this folder, whose http.py would hide the standard library's.
sys.path[0] = str(Path(__file__).resolve().parents[1])

from benchmarks.common import django_setup, timed  # noqa: E402

CLINIC = "Synthetic Practice"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=10_000, help="patients of the clinic (20 sessions each)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if args.patients < 1 or args.rounds < 1:
        parser.error("--patients and --rounds must be 1 or more")
    os.environ["SEGMENTA_REQUIRE_MFA"] = "0"  # the page behind a plain login
    django_setup(sqlite_only=True)
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from segmenta.accounts.models import ApiToken, Clinic, Membership
    from segmenta.demo.synthetic import generate
    from segmenta.patients.models import Patient
    from segmenta.treatment.models import Injection

    made = generate(args.patients, clinic_name=CLINIC)
    clinic = Clinic.objects.get(name=CLINIC)
    user = get_user_model().objects.create(username="big-clinic-bench")
    Membership.objects.create(user=user, clinic=clinic, role="practitioner")
    _token, raw = ApiToken.issue(user, "benchmarks/big_clinic.py", days=1)
    patient = Patient.objects.filter(clinic=clinic).order_by("-pk").first()
    page, api = Client(), Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    page.force_login(user)

    def get(client, path):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)

    print(f"SQLite, one clinic of {made['patients']} patients, {made['sessions']} sessions and "
          f"{Injection.objects.filter(clinic=clinic).count()} injections; one patient's pages, "
          f"median of {args.rounds} rounds (processor time of this process, wall-clock)")
    for moment in ("without statistics (as loaded)", "after a connection closed (PRAGMA optimize)"):
        if moment.startswith("after"):
            connection.close()
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            has = cursor.fetchone()[0]
        print(f"  {moment}; statistics {'present' if has else 'absent'}")
        for name, client, path in (("chart page", page, f"/patients/{patient.pk}/"),
                                   ("case export", api, f"/api/v1/patients/{patient.pk}/case")):
            cpu, wall = timed(lambda: get(client, path), args.rounds)
            print(f"    {name:<12} {wall:8.1f} ms (processor {cpu:.1f} ms)")


if __name__ == "__main__":
    main()
