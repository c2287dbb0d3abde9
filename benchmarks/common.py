"""What the benchmarks share: Django on a throwaway database, and timing."""

import os
import socket
import statistics
import tempfile
import time


def django_setup(sqlite_only=False):
    """Django on DATABASE_URL, or on a throwaway SQLite database under /tmp; migrated."""
    if sqlite_only:
        os.environ.pop("DATABASE_URL", None)
    if "DATABASE_URL" not in os.environ:
        os.environ["SEGMENTA_VAR_DIR"] = tempfile.mkdtemp(prefix="segmenta-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "segmenta.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def analyze():
    """Planner statistics, as a live database has them and a fresh bulk load does not."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def timed(run, rounds):
    """Median milliseconds of ``run()`` over ``rounds`` calls after one to warm up: processor
    time of this process (steady when other programs share the machine; it includes SQLite's
    work, not a PostgreSQL server's) and wall-clock time."""
    run()
    cpu, wall = [], []
    for _ in range(rounds):
        start_cpu, start = time.process_time(), time.perf_counter()
        run()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return statistics.median(cpu), statistics.median(wall)


def free_port(host="127.0.0.1"):
    """A port on ``host`` that nothing listens on now, for a server the benchmark starts."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]
