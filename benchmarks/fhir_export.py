"""FHIR bulk export speed and memory on a synthetic practice (target, issue 15: at least
5,000 resources/s on PostgreSQL, memory flat however large the clinic).

SQLite (a throwaway database under /tmp):   .venv/bin/python benchmarks/fhir_export.py
PostgreSQL:   DATABASE_URL=postgres://… .venv/bin/python benchmarks/fhir_export.py --patients 5000
Options: --patients 2000 (--sessions 10 each) --chunk 1000 (rows per query)

The practice is segmenta.demo.synthetic's (a complaint, a scar and weekly sessions with a
pain score and an injection per patient), with a first version of each row in its change
history, as rows entered through the app have (the resources' lastUpdated). The export is
timed twice: in-process (``bulk.write_ndjson`` in its PostgreSQL snapshot, what a job's
thread and `segmenta fhir export` run) and over HTTP through Django's test client (kick-off,
polling the status URL until the manifest, downloading every file). The processor time of this
process and of its PostgreSQL server process (when on this machine) shows the cost apart from
other programs sharing the machine, which stretch the wall-clock time. Memory: the process's
resident size sampled every 20 ms while the export runs, against its size before; run it
again with --patients twice as large: the growth should stay the same.
"""

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

# The repository instead of this folder, whose http.py would hide the standard library's.
sys.path[0] = str(Path(__file__).resolve().parents[1])

from benchmarks.common import analyze, django_setup  # noqa: E402

TARGET = 5000  # resources per second


def resident_mb():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class PeakMemory:
    """The largest resident size seen while the block runs (sampled in a thread)."""

    def __enter__(self):
        self.before = self.peak = resident_mb()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def _sample(self):
        while not self.done.wait(0.02):
            self.peak = max(self.peak, resident_mb())

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join()
        self.peak = max(self.peak, resident_mb())
        return False


def server_cpu_seconds():
    """Processor time of this connection's PostgreSQL server process so far, when the server
    runs on this machine (else None): with this process's own, the export's whole cost, which
    other programs sharing the processors do not change as they change the wall-clock time."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def with_versions(clinic):
    """A first version in the change history for every row of the clinic that has none
    (bulk_create writes none), for each table the export reads its lastUpdated from."""
    from segmenta.interop.fhir import bulk
    from segmenta.interop.fhir.types import TYPES

    made = 0
    models = {source.model for t in TYPES.values() for source in t.sources
              if bulk.is_table(source) and hasattr(source.model, "versions")}
    for model in models:
        history = model.versions.model
        missing = model.objects.filter(clinic=clinic).exclude(pk__in=history.objects.values("id")).order_by("pk")
        while batch := list(missing[:5000]):
            model.versions.bulk_history_create(batch, batch_size=1000)
            made += len(batch)
    return made


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--sessions", type=int, default=10, help="sessions per patient (new practices only)")
    parser.add_argument("--chunk", type=int, default=None, help="rows per query (default: the export's)")
    args = parser.parse_args()
    django_setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from segmenta.accounts.models import ApiToken, Clinic, Membership, Role
    from segmenta.demo.synthetic import generate
    from segmenta.interop.fhir import bulk
    from segmenta.patients.models import Patient

    clinic = Clinic.objects.filter(name="Synthetic Practice").first()
    have = Patient.objects.filter(clinic=clinic).count() if clinic else 0
    if have < args.patients:
        start = time.perf_counter()
        made = generate(args.patients - have, sessions_per_patient=args.sessions)
        print(f"generated {made['patients']} patients and {made['sessions']} sessions "
              f"in {time.perf_counter() - start:.0f} s")
        clinic = Clinic.objects.get(name="Synthetic Practice")
    start = time.perf_counter()
    versions = with_versions(clinic)
    if versions:
        print(f"wrote a first version of {versions} rows in {time.perf_counter() - start:.0f} s")
    analyze()
    user, created = get_user_model().objects.get_or_create(username="export-bench")
    if created:
        Membership.objects.create(user=user, clinic=clinic, role=Role.ADMIN)
    types = bulk.exportable("system")
    patients = Patient.objects.filter(clinic=clinic).count()
    print(f"FHIR bulk export on {connection.vendor}: {patients} patients, chunks of {args.chunk or bulk.chunk_size()}")

    with tempfile.TemporaryDirectory(prefix="fhir-export-bench-") as out:
        with PeakMemory() as memory:
            start_server = server_cpu_seconds()
            start_cpu, start = time.process_time(), time.perf_counter()
            with bulk.snapshot():
                result = bulk.write_ndjson(out, [clinic.pk], types, user=user, chunk=args.chunk)
                server = server_cpu_seconds()
            wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
        total = sum(result.counts.values())
        size = sum(path.stat().st_size for path in Path(out).iterdir()) / 2**20
        rate = total / wall
        print(f"  in-process: {total} resources ({', '.join(f'{n} {t}' for t, n in result.counts.items())}), "
              f"{size:.0f} MB of NDJSON, errors {result.errors}")
        print(f"    {wall:.1f} s, {rate:,.0f} resources/s; target >= {TARGET:,}/s on PostgreSQL: "
              f"{'met' if rate >= TARGET else 'NOT met'}")
        busy = "" if server is None else f" + database server {server - start_server:.1f} s"
        whole = cpu + (0 if server is None else server - start_server)
        print(f"    processor time: here {cpu:.1f} s{busy} = {total / whole:,.0f} resources per processor-second "
              f"(load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} processors)")
        print(f"    memory: {memory.before:.0f} MB before, peak {memory.peak:.0f} MB "
              f"(+{memory.peak - memory.before:.0f} MB while exporting {size:.0f} MB)")

    _token, raw = ApiToken.issue(user, "benchmark")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    with PeakMemory() as memory:
        start = time.perf_counter()
        response = client.get("/fhir/r4/$export", HTTP_PREFER="respond-async")
        assert response.status_code == 202, response.content
        status = response["Content-Location"].split("/fhir/r4", 1)[1]
        while (response := client.get(f"/fhir/r4{status}")).status_code == 202:
            time.sleep(0.1)
        assert response.status_code == 200, response.content
        ready = time.perf_counter() - start
        downloaded = 0
        for output in response.json()["output"]:
            file_response = client.get("/fhir/r4" + output["url"].split("/fhir/r4", 1)[1])
            downloaded += sum(chunk.count(b"\n") for chunk in file_response.streaming_content)
        wall = time.perf_counter() - start
    client.delete(f"/fhir/r4{status}")
    print(f"  over HTTP: manifest after {ready:.1f} s ({downloaded / ready:,.0f} resources/s), all {downloaded} "
          f"lines downloaded after {wall:.1f} s; peak {memory.peak:.0f} MB (+{memory.peak - memory.before:.0f} MB)")


if __name__ == "__main__":
    main()
