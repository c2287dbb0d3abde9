"""Django's SQLite backend, plus ``PRAGMA optimize`` as each connection closes, and a queue
for writers.

**Statistics.** SQLite chooses an index by its statistics (``sqlite_stat1``), which nothing
gathers unless asked. Without them it guesses, and for the reads that name both the clinic
and a patient it guesses wrong: it reads every row of the clinic through the clinic_id index,
then keeps the patient's. In a clinic of 10,000 patients with 200,000 injections that made
one patient's chart page 190 ms instead of 19 and the case export 73 ms instead of 5, growing
with the clinic's size (benchmarks/big_clinic.py). With statistics it starts from the
patient. ``PRAGMA optimize`` is SQLite's own answer for this: run before a connection
closes, it gathers statistics for the tables this connection read whose statistics are
missing or whose size has grown many times since, and does nothing otherwise. Connections
live for CONN_MAX_AGE (settings.py), so each worker runs it every ten minutes or so. The
first run on a large database without statistics reads each table it analyses once (about
0.1 s per 200,000 rows); later runs are rare and small.

**The writers' queue.** SQLite lets one connection write at a time. One that finds the
database busy does not wait to be woken: its busy handler sleeps 1 ms, tries again, sleeps
2, 5, 10 ms and so on. Every read in Segmenta writes its audit event, so two gunicorn
workers reading charts collide hundreds of times a second, and the loser sleeps past the
moment the lock was free: under benchmarks/http.py the workers spent about a sixth of their
time asleep in that handler (strace). So every write of a file database first takes a
lock of the operating system's, ``flock()`` on a file beside the database
(``<database>-writers``), for as long as SQLite's write lock is held: the statement in
autocommit, from BEGIN to COMMIT or ROLLBACK in a transaction. A writer that finds it taken
waits in the kernel and is woken the moment it is free. SQLite's own lock still decides
who writes; the queue only orders the waiting, so a process that does not use it (the
sqlite3 shell, a backup) is handled as before, by the busy handler. Unlike SQLite's timeout,
waiting in the queue has no limit: a transaction held open for long stops every writer
until it ends, or until gunicorn's timeout ends the request that holds it.
"""

import collections
import fcntl
import logging
import os
import sqlite3
import threading

from django.db.backends.sqlite3 import base

log = logging.getLogger(__name__)

# A busy database is not worth waiting for at a close: the next connection's close tries again.
OPTIMIZE_BUSY_MS = 1000

# Statements that never write, and so never queue. Anything else queues, a read among them
# at worst (a WITH … SELECT): waiting for a writer costs it a little time, never correctness.
_READS = ("SELECT", "VALUES", "EXPLAIN")

# How many connections of this thread hold the queue. A thread never waits for the queue
# while it holds it through another connection: it would wait for itself.
_held = threading.local()


class DatabaseWrapper(base.DatabaseWrapper):
    _queue = None  # the open lock file, for a database in a file
    _queued = False

    def get_new_connection(self, conn_params):
        conn = super().get_new_connection(conn_params)
        self._queue = self._open_queue()
        return conn

    def _open_queue(self):
        if self.is_in_memory_db():
            return None
        name = str(self.settings_dict["NAME"])
        try:
            return os.open(f"{name}-writers", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as error:  # a read-only folder: SQLite's busy handler alone, as before
            log.info("no writers' queue for %s: %s", name, error)
            return None

    def _enter_queue(self):
        if self._queue is None or self._queued or getattr(_held, "count", 0):
            return
        fcntl.flock(self._queue, fcntl.LOCK_EX)
        self._queued = True
        _held.count = 1

    def _leave_queue(self):
        if self._queued:
            self._queued = False
            _held.count = 0
            fcntl.flock(self._queue, fcntl.LOCK_UN)

    def create_cursor(self, name=None):
        return self.connection.cursor(factory=QueuedCursor).queued_by(self)

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._leave_queue()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._leave_queue()

    def _close(self):
        try:
            if self.connection is not None and not self.connection.in_transaction:
                try:
                    self.connection.execute(f"PRAGMA busy_timeout = {OPTIMIZE_BUSY_MS}")
                    self.connection.execute("PRAGMA optimize")
                except sqlite3.Error as error:  # read-only, locked: never keep a connection from closing
                    log.info("PRAGMA optimize skipped: %s", error)
            return super()._close()
        finally:
            self._leave_queue()
            if self._queue is not None:
                os.close(self._queue)
                self._queue = None


class QueuedCursor(base.SQLiteCursorWrapper):
    """Django's cursor, queueing each statement that may write while no transaction is
    open (a BEGIN among them); the queue is left when the database is out of a transaction
    again: after the statement in autocommit, at COMMIT or ROLLBACK otherwise.

    A write that returns rows (INSERT … RETURNING, as Django inserts) is not finished when
    ``execute()`` returns: SQLite commits it only once its rows are read. So in autocommit
    its rows are read at once, the queue left, and the rows handed out from memory."""

    wrapper = None
    _rows = None

    def queued_by(self, wrapper):
        self.wrapper = wrapper
        return self

    def _queued(self, run, sql, *args):
        self._rows = None
        wrapper = self.wrapper
        if wrapper._queue is None:
            return run(sql, *args)
        if not wrapper._queued:
            if self.connection.in_transaction or sql.lstrip()[:7].upper().startswith(_READS):
                return run(sql, *args)
            wrapper._enter_queue()
        try:
            result = run(sql, *args)
            if self.description is not None and not self.connection.in_transaction:
                self._rows = collections.deque(super().fetchall())
            return result
        finally:
            # Out of a transaction again (the statement in autocommit, a COMMIT or ROLLBACK
            # written as SQL, a failed BEGIN): the next writer's turn.
            if not self.connection.in_transaction:
                wrapper._leave_queue()

    def execute(self, query, params=None):
        return self._queued(super().execute, query, params)

    def executemany(self, query, param_list):
        return self._queued(super().executemany, query, param_list)

    def fetchone(self):
        if self._rows is None:
            return super().fetchone()
        return self._rows.popleft() if self._rows else None

    def fetchmany(self, size=None):
        if self._rows is None:
            return super().fetchmany(self.arraysize if size is None else size)
        size = self.arraysize if size is None else size
        return [self._rows.popleft() for _ in range(min(size, len(self._rows)))]

    def fetchall(self):
        if self._rows is None:
            return super().fetchall()
        rows, self._rows = list(self._rows), collections.deque()
        return rows

    def __next__(self):
        if self._rows is None:
            return super().__next__()
        if not self._rows:
            raise StopIteration
        return self._rows.popleft()
