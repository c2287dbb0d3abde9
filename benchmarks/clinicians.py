"""Fifty clinicians at once: reads and writes mixed through the API, under gunicorn (issue 13).

Each simulated clinician has a token of their own in one of several clinics and loops over
what a working day does through the API: the patient list, a patient, the patient's case,
and every fourth request a write (a complaint or a weight). All of them run at once for a
fixed time; the run prints requests per second, p50/p95 latency and any answer that was not
2xx. Production settings over plain HTTP on loopback, the repository's gunicorn.conf.py.

Each clinician keeps one connection open, as a browser or an app does (`--close` opens one
per request, as this script did before). Each starts at a patient of their own: five
clinicians of one clinic marching through the same patients in step would each wait for the
others' writes on the same record, which no practice does.

    DATABASE_URL=postgres://…/scratch .venv/bin/python benchmarks/clinicians.py
    .venv/bin/python benchmarks/clinicians.py --duration 10        # SQLite, a throwaway folder
    .venv/bin/python benchmarks/clinicians.py --tree /tmp/old      # another checkout's code,
        e.g. `git worktree add /tmp/old 4b9c1c1` for the trail with one global lock

The database must be a scratch one: the run migrates it and adds its clinics. The target of
issue 13 for PostgreSQL is five times what the trail with one global lock managed (133
requests/s in the issue's measurement; measure both with --tree in one session) with a
p95 of at most 150 ms.
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The repository instead of this folder, whose http.py would hide the standard library's.
sys.path[0] = str(ROOT)

from benchmarks.common import free_port  # noqa: E402

HOST = "127.0.0.1"

# Run in the server's code tree (this checkout or --tree): clinics, clinicians, tokens, patients.
SETUP = """
import json, os, sys
import django
django.setup()
from django.core.management import call_command
from django.utils import timezone
from segmenta.accounts.models import ApiToken, Clinic, Membership, PractitionerProfile
from segmenta.patients.models import Patient
from django.contrib.auth import get_user_model
clinics, per_clinic, patients = (int(v) for v in sys.argv[1:4])
call_command("migrate", verbosity=0)
found = []
for c in range(clinics):
    clinic = Clinic.objects.create(name=f"Load clinic {c} {os.urandom(3).hex()}")
    ids = [Patient.objects.create(clinic=clinic, family_name=f"Load{c}x{p}", given_name="Test",
                                  birth_date="1970-01-02", sex="female").pk for p in range(patients)]
    for u in range(per_clinic):
        user = get_user_model().objects.create_user(username=f"load-{clinic.pk}-{u}", password=os.urandom(16).hex())
        PractitionerProfile.objects.create(user=user, profession="physician", verified_at=timezone.now())
        Membership.objects.create(user=user, clinic=clinic, role="practitioner")
        # Each clinician of a clinic starts at a patient of their own (see the docstring).
        found.append({"token": ApiToken.issue(user, "benchmarks/clinicians.py", days=1)[1], "patients": ids,
                      "first": u * max(1, patients // per_clinic)})
print("SETUP " + json.dumps(found))
"""


def environment(args, var_dir):
    env = {key: value for key, value in os.environ.items() if not key.startswith("SEGMENTA_")}
    env.update(SEGMENTA_ENV="production", SEGMENTA_SECRET_KEY=secrets.token_urlsafe(50),
               SEGMENTA_ALLOWED_HOSTS=HOST, SEGMENTA_SSL_REDIRECT="0", SEGMENTA_VAR_DIR=str(var_dir),
               DJANGO_SETTINGS_MODULE="segmenta.settings", PYTHONPATH=str(args.tree),
               SEGMENTA_WORKERS=str(args.workers), SEGMENTA_THREADS=str(args.threads))
    return env


def set_up(args, env):
    done = subprocess.run([sys.executable, "-c", SETUP, str(args.clinics), str(args.clinicians // args.clinics),
                           str(args.patients)], env=env, cwd=args.tree, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("SETUP ")]
    if done.returncode != 0 or not lines:
        sys.exit(f"setting up failed:\n{done.stderr[-3000:]}")
    return json.loads(lines[-1].removeprefix("SETUP "))


def serve(args, env, log):
    port = free_port(HOST)
    config = ROOT / "gunicorn.conf.py"
    server = subprocess.Popen([str(Path(sys.executable).with_name("gunicorn")), "segmenta.wsgi", "-c", str(config),
                               "--bind", f"{HOST}:{port}", "--chdir", str(args.tree), "--log-level", "warning",
                               "--access-logfile", os.devnull, "--error-logfile", str(log)],
                              # Started in the tree: gunicorn puts the folder it starts in first on the
                              # path, where this checkout's code would shadow another --tree's.
                              env=env, cwd=args.tree, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited; see {log}")
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return server, port
        except OSError:
            time.sleep(0.2)
    server.terminate()
    sys.exit(f"gunicorn did not start; see {log}")


def _raw(port, token, method, path, body=None, close=True):
    payload = json.dumps(body).encode() if body is not None else b""
    head = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}", *(["Connection: close"] if close else []),
            f"Authorization: Bearer {token}", f"Content-Length: {len(payload)}"]
    if body is not None:
        head.append("Content-Type: application/json")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + payload


def _workload(port, clinician, step, close=True):
    """The clinician's ``step``-th request: three reads, then a write."""
    patients = clinician["patients"]
    patient = patients[(clinician["first"] + step // 4) % len(patients)]
    token = clinician["token"]
    kind = step % 4
    if kind == 0:
        return "list", _raw(port, token, "GET", "/api/v1/patients", close=close)
    if kind == 1:
        return "patient", _raw(port, token, "GET", f"/api/v1/patients/{patient}", close=close)
    if kind == 2:
        return "case", _raw(port, token, "GET", f"/api/v1/patients/{patient}/case", close=close)
    if step % 8 == 3:
        return "write", _raw(port, token, "POST", f"/api/v1/patients/{patient}/weights",
                             {"date": time.strftime("%Y-%m-%d"), "weight_kg": 60 + step % 30}, close=close)
    return "write", _raw(port, token, "POST", f"/api/v1/patients/{patient}/complaints",
                         {"description": f"load {step}", "regions": [{"choir": 107, "side": "right"}],
                          "organs": [], "nrs": step % 11, "findings": [], "status": "active"}, close=close)


async def _answer(reader):
    """One HTTP answer read off a kept connection: its status line and headers, then as
    many bytes of body as Content-Length says. Returns (answer, whether the server closes)."""
    head = await reader.readuntil(b"\r\n\r\n")
    length, closes = 0, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection" and b"close" in value.lower():
            closes = True
        elif name == b"transfer-encoding":  # every answer here has its length; say so if not
            raise ValueError(f"an answer without Content-Length: {head[:200]!r}")
    return head + await reader.readexactly(length), closes


async def _clinician(port, clinician, deadline, found, close):
    step, connection = 0, None
    while time.monotonic() < deadline:
        kind, raw = _workload(port, clinician, step, close=close)
        step += 1
        start = time.monotonic()
        try:
            if connection is None:
                connection = await asyncio.open_connection(HOST, port)
            reader, writer = connection
            writer.write(raw)
            if close:
                data, closes = await reader.read(), True
            else:
                data, closes = await _answer(reader)
            if closes:
                writer.close()
                connection = None
        except (OSError, asyncio.IncompleteReadError):
            found["errors"] += 1
            if connection is not None:
                connection[1].close()
            connection = None
            continue
        found["latencies"].append(time.monotonic() - start)
        found["kinds"].append(kind)
        status = data[9:12]
        if not status.startswith(b"2"):
            found["bad"].append(f"{kind} {status.decode(errors='replace')} {data[-200:]!r}")
    if connection is not None:
        connection[1].close()


def _client_process(port, clinicians, duration, close):
    found = {"latencies": [], "kinds": [], "bad": [], "errors": 0}
    deadline = time.monotonic() + duration

    async def main():
        await asyncio.gather(*(_clinician(port, clinician, deadline, found, close) for clinician in clinicians))

    asyncio.run(main())
    return found


def load(port, clinicians, processes, duration, close=False):
    shares = [clinicians[i::processes] for i in range(processes)]
    start = time.monotonic()
    with multiprocessing.Pool(processes, initializer=signal.signal, initargs=(signal.SIGTERM, signal.SIG_DFL)) as pool:
        results = pool.starmap(_client_process, [(port, share, duration, close) for share in shares])
    elapsed = time.monotonic() - start
    latencies = sorted(value for found in results for value in found["latencies"])
    cuts = statistics.quantiles(latencies, n=100)
    by_kind = {}
    for found in results:
        for kind, value in zip(found["kinds"], found["latencies"]):
            by_kind.setdefault(kind, []).append(value)
    return {"rps": len(latencies) / elapsed, "p50": cuts[49] * 1000, "p95": cuts[94] * 1000,
            "requests": len(latencies), "bad": [line for found in results for line in found["bad"]],
            "errors": sum(found["errors"] for found in results),
            "kinds": {kind: (cut[49] * 1000, cut[94] * 1000) for kind, values in by_kind.items()
                      if len(values) > 1 and (cut := statistics.quantiles(values, n=100))}}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clinicians", type=int, default=50)
    parser.add_argument("--clinics", type=int, default=10)
    parser.add_argument("--patients", type=int, default=20, help="patients per clinic")
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--workers", type=int, default=multiprocessing.cpu_count() * 2 + 1)
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--close", action="store_true",
                        help="a new connection for every request (Connection: close), not one kept per clinician")
    parser.add_argument("--tree", type=Path, default=ROOT, help="the checkout whose code serves (default: this one)")
    args = parser.parse_args()
    args.tree = args.tree.resolve()
    with tempfile.TemporaryDirectory(prefix="segmenta-clinicians-") as var_dir:
        env = environment(args, var_dir)
        clinicians = set_up(args, env)
        server, port = serve(args, env, Path(var_dir) / "gunicorn.log")
        try:
            if args.warmup:
                load(port, clinicians, args.client_processes, args.warmup, args.close)
            result = load(port, clinicians, args.client_processes, args.duration, args.close)
        finally:
            server.terminate()
            server.wait(timeout=60)
    database = "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    print(f"{len(clinicians)} clinicians in {args.clinics} clinics, {database}, code of {args.tree}, "
          f"{args.workers} workers x {args.threads} threads, {args.duration:.0f} s, "
          + ("a connection per request" if args.close else "a connection kept per clinician"))
    print(f"{result['rps']:8.1f} requests/s   p50 {result['p50']:6.1f} ms   p95 {result['p95']:6.1f} ms   "
          f"{result['requests']} requests, {len(result['bad'])} not 2xx, {result['errors']} connection errors")
    print("   " + "   ".join(f"{kind} p50 {p50:.0f} p95 {p95:.0f} ms" for kind, (p50, p95) in result["kinds"].items()))
    for line in result["bad"][:5]:
        print("  not 2xx:", line)
    print("target (PostgreSQL): at least 5x the one-lock trail's throughput, p95 <= 150 ms: "
          + ("p95 met" if result["p95"] <= 150 else "p95 NOT met"))


if __name__ == "__main__":
    main()
