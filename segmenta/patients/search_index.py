"""The index behind the patient search, on each database's own terms.

A search word matches a patient when the folded name ("family given", see ``fold``)
contains it, when it is the whole record number (any case), or, for a date, when it is the
birth date. Without an index every search reads every patient of the clinic; with 100,000
patients that is far too slow, so:

- SQLite: an FTS5 table with the trigram tokenizer over ``name_key`` and ``record_number``
  (external content: nothing is stored twice), kept in step by triggers. It finds the names
  that contain a word of three or more characters (``name_contains``). The record number is looked up in an index of its own (``COLLATE NOCASE``):
  compared with LIKE, as Django's ``iexact`` does on SQLite, it cost every search more than
  the names did (a two-letter word at 100,000 patients: 28 → 13 ms to count the matches).
  A migration that rebuilds the patient table on SQLite drops its triggers and this index,
  so the first search on each connection checks they are there and rebuilds them if not.
- PostgreSQL: pg_trgm's GIN index on ``clinic_id`` and ``name_key`` (with btree_gin; else on
  ``name_key`` alone) serves ``LIKE '%word%'`` within the clinic directly, and an index on
  ``upper(record_number)`` the record number. Where the extensions cannot be created (a role
  without the right to), the search still works, reading every row of the clinic.

Clinic isolation is untouched: these only narrow which rows the clinic filter looks at.
"""

import logging

from django.db import transaction
from django.db.models import Q
from django.db.models.expressions import RawSQL

log = logging.getLogger(__name__)

FTS = "patients_patient_search"
TRIGGERS = {
    f"{FTS}_insert": f"""CREATE TRIGGER IF NOT EXISTS {FTS}_insert AFTER INSERT ON patients_patient BEGIN
        INSERT INTO {FTS}(rowid, name_key, record_number) VALUES (new.id, new.name_key, new.record_number);
    END""",
    f"{FTS}_delete": f"""CREATE TRIGGER IF NOT EXISTS {FTS}_delete AFTER DELETE ON patients_patient BEGIN
        INSERT INTO {FTS}({FTS}, rowid, name_key, record_number) VALUES ('delete', old.id, old.name_key, old.record_number);
    END""",
    f"{FTS}_update": f"""CREATE TRIGGER IF NOT EXISTS {FTS}_update AFTER UPDATE OF name_key, record_number
        ON patients_patient BEGIN
        INSERT INTO {FTS}({FTS}, rowid, name_key, record_number) VALUES ('delete', old.id, old.name_key, old.record_number);
        INSERT INTO {FTS}(rowid, name_key, record_number) VALUES (new.id, new.name_key, new.record_number);
    END""",
}
RECORD_NUMBER_INDEX = "patients_patient_record_number_nocase"
MIN_TRIGRAM = 3  # shorter words have no trigram to look up: they read every row


def install(connection):
    """Create the index (idempotent): at migrate, and again on SQLite when a rebuilt table
    lost its triggers."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"""CREATE VIRTUAL TABLE IF NOT EXISTS {FTS} USING fts5(
                name_key, record_number, content='patients_patient', content_rowid='id', tokenize='trigram')""")
            for sql in TRIGGERS.values():
                cursor.execute(sql)
            cursor.execute(f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')")
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {RECORD_NUMBER_INDEX} "
                           "ON patients_patient (record_number COLLATE NOCASE)")
    elif connection.vendor == "postgresql":
        try:
            with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                cursor.execute("CREATE INDEX IF NOT EXISTS patients_patient_name_key_trgm "
                               "ON patients_patient USING GIN (name_key gin_trgm_ops)")
        except Exception as error:  # not allowed to create the extension: search reads every row
            log.warning("pg_trgm could not be set up (%s); the patient search works without its index", error)
        try:  # the clinic and the name in one index, so a search reads only its own clinic's matches
            with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                cursor.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
                cursor.execute("CREATE INDEX IF NOT EXISTS patients_patient_clinic_name_key_trgm "
                               "ON patients_patient USING GIN (clinic_id, name_key gin_trgm_ops)")
                cursor.execute("DROP INDEX IF EXISTS patients_patient_name_key_trgm")
        except Exception as error:
            log.warning("btree_gin could not be set up (%s); the patient search uses the name index alone", error)
        with connection.cursor() as cursor:
            cursor.execute("CREATE INDEX IF NOT EXISTS patients_patient_record_number_upper "
                           "ON patients_patient (upper(record_number::text))")


def reinstall(apps, schema_editor):
    """For a migration that changes what ``install`` sets up."""
    install(schema_editor.connection)


def uninstall(connection):
    statements = {
        "sqlite": [*(f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS), f"DROP TABLE IF EXISTS {FTS}",
                   f"DROP INDEX IF EXISTS {RECORD_NUMBER_INDEX}"],
        "postgresql": ["DROP INDEX IF EXISTS patients_patient_name_key_trgm",
                       "DROP INDEX IF EXISTS patients_patient_clinic_name_key_trgm",
                       "DROP INDEX IF EXISTS patients_patient_record_number_upper"],
    }.get(connection.vendor, [])
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _sqlite_index_ready(connection):
    """Are the table, its triggers and the record number's index there? Checked once per
    connection, repaired if not."""
    if getattr(connection, "_segmenta_patient_search_ready", False):
        return True
    wanted = {FTS, *TRIGGERS, RECORD_NUMBER_INDEX}
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name IN (%s)" % ", ".join(["%s"] * len(wanted)),
                       sorted(wanted))
        present = {row[0] for row in cursor.fetchall()}
    if FTS not in present:  # before the migration that creates it
        return False
    if present != wanted:
        log.warning("the patient search index had lost its triggers or indexes (a rebuilt table); rebuilding it")
        install(connection)
    connection._segmenta_patient_search_ready = True
    return True


def _phrase(text):
    return '"' + text.replace('"', '""') + '"'


def record_number_is(term, connection):
    """The whole record number, in any case (ASCII, as Django's ``iexact``): on SQLite
    through its own index instead of a LIKE on every row of the clinic."""
    if connection.vendor == "sqlite" and _sqlite_index_ready(connection):
        return Q(pk__in=RawSQL(f"SELECT id FROM patients_patient INDEXED BY {RECORD_NUMBER_INDEX} "
                               "WHERE record_number = %s COLLATE NOCASE", [term]))
    return Q(record_number__iexact=term)


def name_contains(folded, connection):
    """The patients whose folded name contains ``folded`` (itself folded). On SQLite, for
    three characters or more, the rows the trigram index finds, taken as they are: its phrase
    match is this same substring match (both sides are folded already, so its own case
    folding changes nothing; test_search_index compares the two), and checking each found row
    again with LIKE cost more than the index (6,872 names with "mann": 11 → 4 ms to count)."""
    if connection.vendor == "sqlite" and len(folded) >= MIN_TRIGRAM and _sqlite_index_ready(connection):
        return Q(pk__in=RawSQL(f"SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s", [f"name_key : {_phrase(folded)}"]))
    return Q(name_key__contains=folded)
