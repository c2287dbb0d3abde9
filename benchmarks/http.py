"""HTTP throughput of Segmenta's reads as a share of the framework floor (issue 13).

In one run, under the same gunicorn settings: a bare Django JSON view (benchmarks/floor.py:
no middleware, no database) and Segmenta with production settings on demo data. For each
endpoint it prints requests per second, p50/p95 latency and the share of the floor, with
the targets: API reads >= 30 %, the chart page >= 10 %.

In rounds (--rounds, 3): each round measures the floor, then every endpoint, so each share
is taken against a floor measured minutes before, not at the start of the run. What a shared
machine does meanwhile moves single measurements by 15 % or more, the floor's as much as
any; each endpoint's line is its median round (the round's own floor shown with it
as "floor"), and "range" gives its lowest and highest share over the rounds.

    .venv/bin/python benchmarks/http.py                    # SQLite in a throwaway folder
    DATABASE_URL=postgres://… .venv/bin/python benchmarks/http.py
    .venv/bin/python benchmarks/http.py --duration 3 --warmup 1 --rounds 1   # a quick run
    .venv/bin/python benchmarks/http.py --big-chart        # also a chart with 1,000
        injections and 200 history items (benchmarks/big_chart.py), under load and
        one request at a time (its server time; target <= 50 ms)

Both servers run under the repository's gunicorn.conf.py (its production settings), with
--workers and --gunicorn-threads from the command line (2 and 1, as in issue 13's table),
and each worker holding at most its share of the connections plus one per thread
(``worker_connections``).

The load generator is wrk when it is installed (apt-get install wrk), else a Python client
(processes of asyncio connections; it needs CPU itself, so its ceiling is lower: compare
shares from one run, never numbers across clients). --client python forces it.

Production settings over plain HTTP on loopback: SEGMENTA_ENV=production turns on the
HTTPS redirect and secure-only cookies, so the benchmark plays the TLS proxy that a real
installation has in front: SEGMENTA_PROXY_COUNT=1 and every request carries
``X-Forwarded-Proto: https`` and ``X-Forwarded-For``. Two-factor login stays required:
the chart's session logs in with the demo doctor's password and a TOTP code from an
authenticator the benchmark enrols for that user; the API uses a personal token issued
as ``segmenta token`` issues it. The demo data (``segmenta demo --force``) goes into a temporary
SEGMENTA_VAR_DIR, or into DATABASE_URL's database when that is set (never a real one).
"""

import sys
from pathlib import Path

# This file is named http.py: its own folder must not shadow the standard library's http.
ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)

import argparse
import asyncio
import hashlib
import http.client
import multiprocessing
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time
from urllib.parse import urlencode

from benchmarks.common import free_port

HOST = "127.0.0.1"
CONFIG = ROOT / "gunicorn.conf.py"
PROXY_HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "127.0.0.1"}
TARGETS = {"api": 30.0, "chart": 10.0}
BIG_CHART_MS = 50.0

# wrk counts answers other than 200 (a redirect to the login page would look fast) and
# reports p50/p95, summed over its threads.
WRK_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body) if status ~= 200 then bad = bad + 1 end end
function done(summary, latency, requests)
  local b = 0
  for _, t in ipairs(threads) do b = b + t:get("bad") end
  local e = summary.errors
  io.write(string.format("BENCH %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), b, e.connect + e.read + e.write + e.timeout))
end
"""


# --- Setting up the data ---------------------------------------------------------------

def segmenta_env(var_dir):
    env = {key: value for key, value in os.environ.items() if not key.startswith("SEGMENTA_")}
    env.update(SEGMENTA_ENV="production", SEGMENTA_SECRET_KEY=secrets.token_urlsafe(50),
               SEGMENTA_ALLOWED_HOSTS=HOST, SEGMENTA_PROXY_COUNT="1", SEGMENTA_VAR_DIR=str(var_dir),
               DJANGO_SETTINGS_MODULE="segmenta.settings")
    return env


def prepare(env, big_chart):
    """Migrate, load the demo, collect static files; return the demo doctor's API token,
    a TOTP key for their login and the patients to read."""
    os.environ.update(env)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connections, transaction
    from django.db.models import Count
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from segmenta.accounts.models import ApiToken, Clinic
    from segmenta.patients.models import Patient

    call_command("migrate", verbosity=0)
    with open(os.devnull, "w") as quiet:
        call_command("demo", force=True, verbosity=0, stdout=quiet)
    collect_static(call_command)
    doctor = get_user_model().objects.get(username="demo-doctor")
    with transaction.atomic():
        _token, raw = ApiToken.issue(doctor, "benchmarks/http.py", days=1)
        device = TOTPDevice.objects.filter(user=doctor, confirmed=True).first() or TOTPDevice.objects.create(
            user=doctor, name="benchmark", confirmed=True)
    clinic = Clinic.objects.get(name="Demo Praxis")
    # The demo patient with the most sessions (big charts of earlier runs left out).
    patient = (Patient.objects.filter(clinic=clinic).exclude(family_name="Bigchart")
               .annotate(n=Count("sessions")).order_by("-n", "pk").first())
    found = {"token": raw, "device": device, "patient": patient.pk, "vendor": connections["default"].vendor}
    if big_chart:
        from benchmarks.big_chart import build

        found["big"] = build(clinic, doctor).pk
    connections.close_all()
    return found


def collect_static(call_command):
    """The production static files (compressed, with a manifest) into the var folder: the
    first run collects them into a cache beside the temporary folders (compressing takes
    a minute or more), later runs with the same files link to it."""
    from django.conf import settings

    sources = sorted(path for folder in settings.STATICFILES_DIRS
                     for path in Path(folder if isinstance(folder, (str, Path)) else folder[1]).rglob("*")
                     if path.is_file())
    sources += sorted((ROOT / "segmenta").glob("*/static/**/*"))
    import django

    listing = "\n".join(f"{p}:{p.stat().st_mtime_ns}:{p.stat().st_size}" for p in sources if p.is_file())
    key = hashlib.sha256(f"{django.get_version()}\n{listing}".encode()).hexdigest()[:16]
    cache = Path(tempfile.gettempdir()) / f"segmenta-bench-static-{key}"
    if not (cache / "staticfiles.json").is_file():
        start = time.perf_counter()
        call_command("collectstatic", interactive=False, verbosity=0)
        shutil.rmtree(cache, ignore_errors=True)
        shutil.copytree(settings.STATIC_ROOT, cache)
        print(f"  static files collected in {time.perf_counter() - start:.0f} s (cached in {cache})", flush=True)
    root = Path(settings.STATIC_ROOT)
    shutil.rmtree(root)
    root.symlink_to(cache, target_is_directory=True)


def totp(device):
    from django_otp.oath import totp as code

    return f"{code(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


# --- Serving ---------------------------------------------------------------------------

def worker_connections(args):
    """How many connections each worker may hold: its share of the load generator's, and
    one more per thread. (gunicorn closes a connection after its answer when the worker
    already keeps as many idle ones as this minus its threads: at the cap, now and then.)

    Why a cap: a gthread worker accepts every connection it can, busy or not (a known
    gunicorn behaviour), and the load generator keeps its 20 connections open for a whole
    measurement. Without one, the split between the two workers fell where the race to
    accept them left it: 10/10 served the patient read at 1,137-1,164 requests/s, 5/15 at
    672, 20/0 at 489, in one minute with the same code (ss -tnp). Every measurement was a
    draw of that race, for the floor and for Segmenta alike. With the cap the split stays
    near even (11/9 at worst with one thread), so a run measures the workers, not the race."""
    return -(-args.connections // args.workers) + args.gunicorn_threads


class Server:
    """gunicorn serving ``app`` with the run's settings, stopped on exit."""

    def __init__(self, app, env, args, log):
        self.port = free_port(HOST)
        command = [str(Path(sys.executable).with_name("gunicorn")), app, "--bind", f"{HOST}:{self.port}",
                   "--workers", str(args.workers), "--threads", str(args.gunicorn_threads),
                   "--worker-connections", str(worker_connections(args)),
                   "--chdir", str(ROOT), "--error-logfile", str(log), "--log-level", "warning",
                   "--access-logfile", os.devnull]
        if CONFIG.is_file():  # the repository's production settings, the same for both servers
            command += ["--config", str(CONFIG)]
        self.process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"gunicorn {app} exited; see {log}")
            try:
                socket.create_connection((HOST, self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        sys.exit(f"gunicorn {app} did not start within 60 s; see {log}")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def request(port, method, path, headers=None, body=None):
    connection = http.client.HTTPConnection(HOST, port, timeout=300)
    connection.request(method, path, body=body, headers={**PROXY_HEADERS, **(headers or {})})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response, data


def log_in(port, device):
    """A logged-in, second-factor-verified session of the demo doctor: the session cookie."""
    cookies = {}
    origin = {"Referer": f"https://{HOST}:{port}/"}  # CSRF checks the origin over HTTPS

    def step(method, path, form=None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()), **origin}
        body = None
        if form is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urlencode(form)
        response, data = request(port, method, path, headers, body)
        for header in response.msg.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            cookies[name.strip()] = rest.split(";", 1)[0]
        return response, data.decode()

    def csrf(page):
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if not found:
            sys.exit("log-in: the page carries no CSRF token")
        return found.group(1)

    _response, page = step("GET", "/accounts/login/")
    response, _page = step("POST", "/accounts/login/", {"csrfmiddlewaretoken": csrf(page), "username": "demo-doctor",
                                                          "password": "segmenta-demo"})
    if response.status != 302 or "/accounts/mfa/" not in response.getheader("Location", ""):
        sys.exit(f"log-in: the password step answered {response.status}, not the second factor")
    _response, page = step("GET", "/accounts/mfa/")
    response, _page = step("POST", "/accounts/mfa/", {"csrfmiddlewaretoken": csrf(page), "otp_token": totp(device)})
    if response.status != 302 or "sessionid" not in cookies:
        sys.exit(f"log-in: the second factor answered {response.status}")
    return f"sessionid={cookies['sessionid']}"


# --- Load --------------------------------------------------------------------------------

def run_wrk(port, path, headers, args, duration):
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(WRK_SCRIPT)
    command = ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{max(1, round(duration))}s",
               "--timeout", "30s", "-s", str(script)]
    for name, value in {**PROXY_HEADERS, **headers}.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(command + [f"http://{HOST}:{port}{path}"], capture_output=True, text=True,
                            check=True).stdout
    script.unlink()
    line = next((line for line in output.splitlines() if line.startswith("BENCH ")), None)
    if line is None:
        sys.exit(f"wrk gave no summary:\n{output}")
    requests, micros, p50, p95, bad, errors = (int(v) for v in line.split()[1:])
    return {"rps": requests / (micros / 1e6), "p50": p50 / 1000, "p95": p95 / 1000, "requests": requests,
            "bad": bad, "errors": errors}


async def _client(port, raw, deadline, latencies, counts):
    while time.monotonic() < deadline:
        start = time.monotonic()
        try:
            reader, writer = await asyncio.open_connection(HOST, port)
            writer.write(raw)
            data = await reader.read()  # gunicorn's sync workers close after each answer
            writer.close()
        except OSError:
            counts["errors"] += 1
            continue
        latencies.append(time.monotonic() - start)
        if not data.startswith((b"HTTP/1.1 200", b"HTTP/1.0 200")):
            counts["bad"] += 1


def _client_process(port, raw, connections, duration):
    latencies, counts = [], {"bad": 0, "errors": 0}
    deadline = time.monotonic() + duration

    async def main():
        await asyncio.gather(*(_client(port, raw, deadline, latencies, counts) for _ in range(connections)))

    asyncio.run(main())
    return latencies, counts


def run_python(port, path, headers, args, duration):
    lines = [f"GET {path} HTTP/1.1", f"Host: {HOST}:{port}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in {**PROXY_HEADERS, **headers}.items()]
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode()
    per_process = max(1, args.connections // args.threads)
    start = time.monotonic()
    # The client processes stop quietly (the run's own SIGTERM handler is not theirs).
    with multiprocessing.Pool(args.threads, initializer=signal.signal, initargs=(signal.SIGTERM, signal.SIG_DFL)) as pool:
        results = pool.starmap(_client_process, [(port, raw, per_process, duration)] * args.threads)
    elapsed = time.monotonic() - start
    latencies = sorted(value for found, _counts in results for value in found)
    if not latencies:
        sys.exit(f"{path}: no request completed")
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return {"rps": len(latencies) / elapsed, "p50": cuts[49] * 1000, "p95": cuts[94] * 1000,
            "requests": len(latencies), "bad": sum(c["bad"] for _f, c in results),
            "errors": sum(c["errors"] for _f, c in results)}


def measure(port, path, headers, args):
    load = run_wrk if args.client == "wrk" else run_python
    if args.warmup:
        load(port, path, headers, args, args.warmup)
        drain(port, path, headers)
    result = load(port, path, headers, args, args.duration)
    drain(port, path, headers)
    return result


def drain(port, path, headers):
    """Wait until the server has answered what the load left queued (the load generator
    stops on time, the server's queue does not): a request sent now is answered last."""
    request(port, "GET", path, headers)


def one_at_a_time(port, path, headers, rounds):
    """Median milliseconds of ``rounds`` requests sent one after another."""
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        response, _data = request(port, "GET", path, headers)
        timings.append((time.perf_counter() - start) * 1000)
        if response.status != 200:
            sys.exit(f"{path}: answered {response.status}")
    return statistics.median(timings)


def show(name, kind, result, base, spread):
    share = 100 * result["rps"] / base["rps"]
    verdict = f">= {TARGETS[kind]:g} %: {'met' if share >= TARGETS[kind] else 'NOT met'}"
    print(f"{name:<52} {result['rps']:>8.0f} {result['p50']:>8.1f} {result['p95']:>8.1f} {share:>6.1f}%  "
          f"{base['rps']:>6.0f}  {spread:<13}  {verdict}", flush=True)
    if result["bad"] or result["errors"]:
        print(f"{'':<52} ! {result['bad']} answers other than 200, {result['errors']} connection errors "
              f"of {result['requests']}", flush=True)


def check(port, path, headers, expect):
    response, data = request(port, "GET", path, headers)
    if response.status != 200 or expect.encode() not in data:
        sys.exit(f"{path}: answered {response.status} without {expect!r}; the benchmark would measure the wrong page")


# --- The run ---------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10, help="seconds of load per endpoint (10)")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of load before each measurement (2)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of the floor and every endpoint; each share is its median round's (3)")
    parser.add_argument("--connections", type=int, default=20, help="concurrent connections (20)")
    parser.add_argument("--threads", type=int, default=2, help="load generator threads or processes (2)")
    parser.add_argument("--workers", type=int, default=2,
                        help="gunicorn workers, both servers (2, as in issue 13's table; gunicorn.conf.py "
                             "gives the rest of the settings)")
    parser.add_argument("--gunicorn-threads", type=int, default=1, help="gunicorn threads per worker (1)")
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--big-chart", action="store_true",
                        help="also a chart with 1,000 injections and 200 history items")
    args = parser.parse_args()
    if args.duration <= 0 or args.warmup < 0 or min(args.connections, args.threads, args.workers, args.rounds) < 1:
        parser.error("--duration must be above 0, --warmup 0 or more, the counts and --rounds 1 or more")
    if args.client == "auto":
        args.client = "wrk" if shutil.which("wrk") else "python"
    elif args.client == "wrk" and not shutil.which("wrk"):
        parser.error("--client wrk: wrk is not installed")

    # Stopped from outside, still stop the servers and remove the temporary folder.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))
    work = Path(tempfile.mkdtemp(prefix="segmenta-http-bench-"))
    try:
        run(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(args, work):
    env = segmenta_env(work / "var")
    print(f"preparing demo data in {os.environ.get('DATABASE_URL', '').split('@')[-1] or work / 'var'} …",
          flush=True)
    data = prepare(env, args.big_chart)
    floor_env = {key: value for key, value in os.environ.items()
                 if not key.startswith(("SEGMENTA_", "DJANGO_", "DATABASE_"))}
    floor_env["DJANGO_SETTINGS_MODULE"] = "benchmarks.floor"

    config = f"{CONFIG.name} with " if CONFIG.is_file() else ""
    print(f"gunicorn: {config}{args.workers} workers × {args.gunicorn_threads} threads; load: {args.client}, "
          f"{args.threads} threads, {args.connections} connections, {args.duration:g} s per endpoint "
          f"(after {args.warmup:g} s warm-up); database: {data['vendor']}\n", flush=True)
    # Both servers run throughout; the one not under load is idle.
    with Server("django.core.wsgi:get_wsgi_application()", floor_env, args, work / "floor.log") as floor, \
            Server("segmenta.wsgi:application", env, args, work / "segmenta.log") as app:
        check(floor.port, "/", {}, '"floor"')
        bearer = {"Authorization": f"Bearer {data['token']}"}
        cookie = {"Cookie": log_in(app.port, data["device"])}
        pid = data["patient"]
        endpoints = [("GET /api/v1/patients/{id}", f"/api/v1/patients/{pid}", bearer, "api", '"id"'),
                     ("GET /api/v1/patients", "/api/v1/patients", bearer, "api", '"id"'),
                     ("GET /api/v1/patients/{id}/case", f"/api/v1/patients/{pid}/case", bearer, "api",
                      "segmenta-case/1"),
                     ("chart page /patients/{id}/", f"/patients/{pid}/", cookie, "chart", "Body map")]
        if args.big_chart:
            endpoints.append(("big chart (1,000 injections, 200 history items)", f"/patients/{data['big']}/",
                              cookie, "chart", "Body map"))
        for _name, path, headers, _kind, expect in endpoints:
            check(app.port, path, headers, expect)
        rounds = []
        for number in range(1, args.rounds + 1):
            base = measure(floor.port, "/", {}, args)
            found = [measure(app.port, path, headers, args) for _name, path, headers, _kind, _expect in endpoints]
            rounds.append((base, found))
            if args.rounds > 1:
                print(f"round {number}: floor {base['rps']:.0f} req/s; shares "
                      + ", ".join(f"{100 * r['rps'] / base['rps']:.1f} %" for r in found), flush=True)
        print(f"\n{'endpoint':<52} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'share':>7}  {'floor':>6}  "
              f"{'range':<13}  target", flush=True)
        # The lower middle of an even number of rounds: never the better of two.
        floors = sorted(base["rps"] for base, _found in rounds)
        print(f"{'bare Django JSON view (the floor), median':<52} {floors[(len(floors) - 1) // 2]:>8.0f}", flush=True)
        for index, (name, _path, _headers, kind, _expect) in enumerate(endpoints):
            # Each round's share of its own floor; the median round's is the endpoint's.
            shares = sorted(((found[index]["rps"] / base["rps"], base, found[index]) for base, found in rounds),
                            key=lambda one: one[0])
            _share, base, result = shares[(len(shares) - 1) // 2]
            spread = f"{100 * shares[0][0]:.1f}–{100 * shares[-1][0]:.1f} %"
            # Bad answers of any round, not only the median one's: fast errors would raise req/s.
            totals = {key: sum(found[index][key] for _base, found in rounds) for key in ("bad", "errors", "requests")}
            result = {**result, **totals}
            show(name, kind, result, base, spread)
        # A page's own time, with nothing else running: what load adds to it is queueing.
        chart_ms = one_at_a_time(app.port, f"/patients/{pid}/", cookie, 20)
        print(f"\nchart page, one request at a time: median {chart_ms:.1f} ms")
        if args.big_chart:
            big_ms = one_at_a_time(app.port, f"/patients/{data['big']}/", cookie, 20)
            print(f"big chart, one request at a time: median {big_ms:.1f} ms; "
                  f"target <= {BIG_CHART_MS:g} ms: {'met' if big_ms <= BIG_CHART_MS else 'NOT met'}")


if __name__ == "__main__":
    main()
