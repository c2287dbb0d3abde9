"""Reports read from a PostgreSQL streaming replica, so they never slow the clinic's work.

With ``DATABASE_REPLICA_URL`` set, the code of a report (practice outcomes, research and
bulk exports) runs inside :func:`reports_from_replica`: its ORM reads go to the replica, its
writes (the audit events of the export) to the primary as always. A replica lags a little;
one further behind than ``SEGMENTA_REPLICA_MAX_LAG_SECONDS``, or one that cannot be reached,
is skipped and the primary answers: a report is never older than that, and never fails
because the replica does. Everything else reads from the primary, so a clinician always
sees what they have just written.
"""

import logging
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DatabaseError, connections

REPLICA = "replica"
logger = logging.getLogger(__name__)
_reads_from = ContextVar("segmenta_reads_from", default=None)


class ReplicaRouter:
    """Reads inside ``reports_from_replica`` go to the replica; nothing is ever written to it
    or migrated on it (it copies the primary)."""

    def db_for_read(self, model, **hints):
        return _reads_from.get()

    def db_for_write(self, model, **hints):
        return None

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, **hints):
        return False if db == REPLICA else None


def replica_lag():
    """Seconds the replica is behind the primary: 0 when it has replayed everything the
    primary has written, else the age of the last transaction it replayed (an idle replica
    waiting for new WAL is not behind). None when there is no replica or it cannot answer."""
    if REPLICA not in settings.DATABASES:
        return None
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()::text")
            written = cursor.fetchone()[0]
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT pg_wal_lsn_diff(%s::pg_lsn, pg_last_wal_replay_lsn()) <= 0, "
                           "EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())", [written])
            caught_up, age = cursor.fetchone()
    except DatabaseError:
        logger.warning("the reporting replica cannot be reached; reports read from the primary", exc_info=True)
        connections[REPLICA].close()
        return None
    if caught_up:
        return 0.0
    return float(age) if age is not None else float("inf")


def reading_connection():
    """The connection a report's raw SQL reads through (the ORM's reads are routed alone)."""
    return connections[_reads_from.get() or "default"]


@contextmanager
def primary_only():
    """Reads inside go to the primary, also within a report (e.g. before a write)."""
    token = _reads_from.set(None)
    try:
        yield
    finally:
        _reads_from.reset(token)


@contextmanager
def reports_from_replica():
    """Route the ORM reads inside to the replica while it is close enough behind; yields the
    alias that answers ("replica" or "default") and its lag in seconds (0 for the primary)."""
    lag = replica_lag()
    alias = REPLICA if lag is not None and lag <= settings.SEGMENTA_REPLICA_MAX_LAG_SECONDS else "default"
    if lag is not None and alias == "default":
        logger.info("the reporting replica is %.1f s behind; reports read from the primary", lag)
    token = _reads_from.set(alias if alias == REPLICA else None)
    try:
        yield alias, (lag if alias == REPLICA else 0.0)
    finally:
        _reads_from.reset(token)
