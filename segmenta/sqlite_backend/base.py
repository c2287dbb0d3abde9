"""Django's SQLite backend, plus ``PRAGMA optimize`` as each connection closes.

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

import logging
import sqlite3

from django.db.backends.sqlite3 import base

log = logging.getLogger(__name__)

# A busy database is not worth waiting for at a close: the next connection's close tries again.
OPTIMIZE_BUSY_MS = 1000


class DatabaseWrapper(base.DatabaseWrapper):
    def _close(self):
        if self.connection is not None and not self.connection.in_transaction:
            try:
                self.connection.execute(f"PRAGMA busy_timeout = {OPTIMIZE_BUSY_MS}")
                self.connection.execute("PRAGMA optimize")
            except sqlite3.Error as error:  # read-only, locked: never keep a connection from closing
                log.info("PRAGMA optimize skipped: %s", error)
        return super()._close()
