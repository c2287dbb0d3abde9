"""Django's SQLite backend, plus ``PRAGMA optimize`` as each connection closes, and each
statement's placeholders converted once.

Why: SQLite chooses an index by its statistics (``sqlite_stat1``), which nothing gathers
unless asked. Without them it guesses, and for the reads that name both the clinic and a
patient it guesses wrong: it reads every row of the clinic through the clinic_id index, then
keeps the patient's. In a clinic of 10,000 patients with 200,000 injections that made one
patient's chart page 190 ms instead of 19 and the case export 73 ms instead of 5, growing with
the clinic's size (benchmarks/big_clinic.py). With statistics it starts from the patient.

``PRAGMA optimize`` is SQLite's own answer for this: run before a connection closes, it
gathers statistics for the tables this connection read whose statistics are missing or whose
size has grown many times since, and does nothing otherwise. Connections live for
CONN_MAX_AGE (settings.py), so each worker runs it every ten minutes or so. The first run on a
large database without statistics reads each table it analyses once (about 0.1 s per
200,000 rows); later runs are rare and small.
"""

import functools
import logging
import sqlite3

from django.db.backends.sqlite3 import base

log = logging.getLogger(__name__)

# A busy database is not worth waiting for at a close: the next connection's close tries again.
OPTIMIZE_BUSY_MS = 1000


# Statements longer than this (a list of thousands of ids, say) are rarely run twice: they are
# converted every time rather than kept.
CONVERTED_MAX_LENGTH = 4096


@functools.lru_cache(maxsize=512)
def _qmark_style(query):
    # Django's conversion (it does not use the cursor it is a method of).
    return base.SQLiteCursorWrapper.convert_query(None, query)


class CursorWrapper(base.SQLiteCursorWrapper):
    """Django's cursor, converting each statement's ``%s`` placeholders to SQLite's ``?``
    once instead of on every run. Why: Django does it with a regular expression on every
    execute, which took 20 µs of the API token check's 100 (its statement joins three tables
    and is 1,500 characters long); the same few statements run on every request."""

    def convert_query(self, query, *, param_names=None):
        if param_names is None and len(query) <= CONVERTED_MAX_LENGTH:
            return _qmark_style(query)
        return super().convert_query(query, param_names=param_names)


class DatabaseWrapper(base.DatabaseWrapper):
    def create_cursor(self, name=None):
        return self.connection.cursor(factory=CursorWrapper)

    def _close(self):
        if self.connection is not None and not self.connection.in_transaction:
            try:
                self.connection.execute(f"PRAGMA busy_timeout = {OPTIMIZE_BUSY_MS}")
                self.connection.execute("PRAGMA optimize")
            except sqlite3.Error as error:  # read-only, locked: never keep a connection from closing
                log.info("PRAGMA optimize skipped: %s", error)
        return super()._close()
