"""Gunicorn's settings for serving Segmenta in production: `gunicorn segmenta.wsgi` run from
this folder reads them (or pass `-c /path/to/gunicorn.conf.py`). Each can be changed from
the environment without editing this file.

Why these values:
- Worker processes sidestep Python's global interpreter lock; threads in each let a worker
  serve other requests while one waits on the database. Two processes per core plus one is
  the usual start; measure with benchmarks/http.py before raising it.
- A request that runs longer than `timeout` is killed with its transaction rolled back: no
  page of Segmenta needs long, and the audit trail's sealer counts on transactions ending
  within minutes (segmenta/audit/trail.py, SEAL_LOOKBACK).
- Workers are replaced after a few thousand requests (with jitter, so not all at once), which
  bounds any slow growth of memory.
- What the master loaded before forking (Django, the views, the knowledge base: about 185,000
  objects) is frozen out of Python's garbage collector (``when_ready``). Otherwise every few
  hundred requests a worker stopped for about 100 ms to walk them all again in a full
  collection, and the collector took 5-8 % of an API read's processor time
  (docs/scaling.md). Frozen objects are never freed, which costs nothing: they live as long
  as the process anyway.
"""

import gc
import multiprocessing
import os

bind = os.environ.get("SEGMENTA_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("SEGMENTA_WORKERS") or multiprocessing.cpu_count() * 2 + 1)
threads = int(os.environ.get("SEGMENTA_THREADS") or 4)
worker_class = "gthread"
timeout = int(os.environ.get("SEGMENTA_REQUEST_TIMEOUT") or 30)
graceful_timeout = 30
keepalive = 5
max_requests = 5000
max_requests_jitter = 500
# The app (views, API schemas, the knowledge base) is loaded once in the master and shared by
# forking, so workers start at once and answer their first request as fast as any other.
# Nothing opens a database connection while loading (Django connects on first use).
preload_app = True
# Heartbeat files in memory, not on a disk that may stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# The TLS proxy in front sets X-Forwarded-*; the app trusts them per SEGMENTA_PROXY_COUNT.
forwarded_allow_ips = os.environ.get("SEGMENTA_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"
# No query strings in the access log: they may hold search terms such as a patient's name.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'


def when_ready(server):
    """In the master, once the app is loaded and before the first worker is forked: workers
    inherit the frozen objects, and their pages of memory stay shared with the master because
    the collector no longer writes to them."""
    gc.collect()
    gc.freeze()
