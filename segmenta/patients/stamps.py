"""A stamp per patient that the database renews on every write to the patient's data.

Why: what is worked out from a whole chart (the case export reads a dozen lists) can be
kept between requests only if any change to any of those rows is seen at once, including a
bulk ``update()``, raw SQL, an import or another process. Signals see none of those, so
triggers on every table of patient data write a new random token into the patient's row of
``patients_patientstamp`` in the same transaction as the change. A reader takes the token
first and keys what it keeps on it: a change committed after that can only make the kept
value newer than its key, never older.

The token is random, not a counter: a counter would start again after a restored backup
or a rolled-back test and so repeat a key that some process still holds.

Which tables: Patient and every model that refers to a patient, directly or through another
such row (a session's injections, an invoice's lines), found by walking the models as the
clinic-scoping test does. Left out: the audit trail, written on every read (a stamp renewed
on every read would never keep anything) and never part of the chart.

Migrations: on SQLite a migration rebuilds a table by copying it and renaming the copy, and
a trigger that names the table (an invoice line's finds its invoice) would stop the rename;
on either engine a trigger naming a column a migration renames would stop the migration.
So before ``migrate`` runs (pre_migrate) every stamp trigger is dropped and every stamp
deleted, in one transaction: without its stamp a patient's case is read afresh by every
process, whatever it kept, until ``install`` (post_migrate) makes the triggers again and
gives every patient a new token. On a schema that is not the current one (a migrate back to
an older state) ``install`` makes nothing, so nothing is kept. ``live`` checks once per
connection that every trigger is there and enabled, against triggers dropped by hand. Code
that runs migrations itself (a test going back to an old schema) calls ``uninstall`` first
and ``install`` after.

On PostgreSQL the trigger locks the patient's row before the stamp's, in the order the app
locks a chart to change it, so the stamp brings no lock cycle of its own.

People: a chart names the users who recorded or changed its entries, and their names live
in the users' table, shared by every chart. A change to a user's name (or a user deleted)
renews one more stamp, the people's: the row of patient 0 in clinic 0 (no patient or clinic
has the id 0). What is kept is keyed on both, so a renamed colleague shows at once. Every
change to a recorded training renews it too: the case export's practitioner block (what the
caller is trained for) is kept under it.
"""

from django.apps import apps
from django.db import transaction

STAMP_TABLE = "patients_patientstamp"
NOT_STAMPED = {"audit"}  # apps whose rows belong to a patient but say nothing about the chart
SHARED = {"knowledge", "auth", "contenttypes", "sessions", "admin", "axes", "otp_totp"}
PREFIX = "segmenta_stamp_"
PEOPLE = (0, 0)  # (clinic id, patient id) of the people's stamp


def _trainings():
    """The table of recorded trainings, whose every change renews the people's stamp."""
    return apps.get_model("accounts", "TrainingRecord")._meta.db_table


def _people():
    """(the users' table, the columns of a user's name as charts show it)."""
    from django.contrib.auth import get_user_model

    user = get_user_model()
    names = {user.USERNAME_FIELD, *(f for f in ("first_name", "last_name") if hasattr(user, f))}
    return user._meta.db_table, sorted(user._meta.get_field(name).column for name in names)


def patient_data_models():
    """Every model whose rows belong to a patient: Patient, and whatever refers to one of
    them, directly or through another (a session's injections, a plan's reviews), or keeps
    a patient's id as a plain number (the outcome figures)."""
    from .models import Patient

    found = {Patient}
    candidates = [m for m in apps.get_models() if m._meta.app_label not in SHARED]
    grown = True
    while grown:
        grown = False
        for model in candidates:
            if model in found:
                continue
            fields = model._meta.concrete_fields
            refers = any(f.is_relation and f.related_model in found for f in fields)
            if refers or any(f.name == "patient_id" for f in fields):
                found.add(model)
                grown = True
    return found


def _patient_of(model, row, found, depth=0):
    """(SQL for the patient id of ``row`` (NEW or OLD) of ``model``'s table, or None; the
    columns that SQL reads, by table)."""
    from .models import Patient

    table = model._meta.db_table
    if model is Patient:
        return f"{row}.id", {table: {"id"}}
    fields = model._meta.concrete_fields
    if any(f.attname == "patient_id" for f in fields):
        return f"{row}.patient_id", {table: {"patient_id"}}
    if depth > 3:
        return None, {}
    for field in fields:
        if field.is_relation and field.related_model in found and field.related_model is not model:
            parent = field.related_model
            inner, reads = _patient_of(parent, "parent", found, depth + 1)
            if inner is not None:
                pk = parent._meta.pk.column
                reads.setdefault(parent._meta.db_table, set()).add(pk)
                reads.setdefault(table, set()).add(field.column)
                return (f"(SELECT {inner} FROM {parent._meta.db_table} parent "
                        f"WHERE parent.{pk} = {row}.{field.column})"), reads
    return None, {}


def _changed(model, found, differs="IS DISTINCT FROM"):
    """SQL true when an UPDATE moved a row to another parent or clinic (then the old patient's
    stamp is renewed too); ``differs``: the engine's null-safe "not equal"."""
    fields = [f for f in model._meta.concrete_fields
              if f.attname == "patient_id" or (f.is_relation and f.related_model in found)]
    fields += [f for f in model._meta.concrete_fields if f.attname == "clinic_id"]
    return " OR ".join(f"OLD.{f.column} {differs} NEW.{f.column}" for f in fields)


def stamped_models():
    from .models import PatientStamp

    found = patient_data_models()
    return sorted((m for m in found if m._meta.app_label not in NOT_STAMPED and m is not PatientStamp
                   and not m._meta.proxy), key=lambda m: m._meta.db_table)


def trigger_names():
    names = []
    for model in stamped_models():
        names += [f"{PREFIX}{model._meta.db_table}_{op}" for op in ("insert", "update", "delete")]
    table = _people()[0]
    names += [f"{PREFIX}{table}_update", f"{PREFIX}{table}_delete"]
    return names + [f"{PREFIX}{_trainings()}_{op}" for op in ("insert", "update", "delete")]


def _people_triggers(vendor):
    """The triggers that renew the people's stamp: a user's name changed, a user deleted, or
    any change to a recorded training. (Not every save of a user: a login writes its time
    into the same row.)"""
    table, columns = _people()
    trainings = _trainings()
    clinic, patient = PEOPLE
    if vendor == "sqlite":
        renew = (f"INSERT INTO {STAMP_TABLE} (clinic_id, patient_id, token) VALUES ({clinic}, {patient}, random()) "
                 f"ON CONFLICT (clinic_id, patient_id) DO UPDATE SET token = excluded.token;")
        differs = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)
        return [f"CREATE TRIGGER {PREFIX}{table}_update AFTER UPDATE OF {', '.join(columns)} ON {table} "
                f"WHEN {differs} BEGIN {renew} END",
                f"CREATE TRIGGER {PREFIX}{table}_delete AFTER DELETE ON {table} BEGIN {renew} END"] + [
                f"CREATE TRIGGER {PREFIX}{trainings}_{op} AFTER {op.upper()} ON {trainings} BEGIN {renew} END"
                for op in ("insert", "update", "delete")]
    differs = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)
    function = f"""CREATE OR REPLACE FUNCTION {PREFIX}people() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {STAMP_TABLE} (clinic_id, patient_id, token) VALUES ({clinic}, {patient}, (random() * 9.2e18)::bigint)
    ON CONFLICT (clinic_id, patient_id) DO UPDATE SET token = excluded.token;
    RETURN NULL;
END $$"""
    return [function,
            f"CREATE TRIGGER {PREFIX}{table}_update AFTER UPDATE OF {', '.join(columns)} ON {table} "
            f"FOR EACH ROW WHEN ({differs}) EXECUTE FUNCTION {PREFIX}people()",
            f"CREATE TRIGGER {PREFIX}{table}_delete AFTER DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {PREFIX}people()"] + [
            f"CREATE TRIGGER {PREFIX}{trainings}_{op} AFTER {op.upper()} ON {trainings} "
            f"FOR EACH ROW EXECUTE FUNCTION {PREFIX}people()" for op in ("insert", "update", "delete")]


def _sqlite(model, found):
    table = model._meta.db_table

    def stamp(row, also=""):
        return (f"INSERT INTO patients_patientstamp (clinic_id, patient_id, token) "
                f"SELECT {row}.clinic_id, found.patient, random() FROM (SELECT {_patient_of(model, row, found)[0]} "
                f"AS patient) found WHERE found.patient IS NOT NULL AND {row}.clinic_id IS NOT NULL {also}"
                f"ON CONFLICT (clinic_id, patient_id) DO UPDATE SET token = excluded.token;")

    moved = f"AND ({_changed(model, found, 'IS NOT')}) "
    return [
        f"CREATE TRIGGER {PREFIX}{table}_insert AFTER INSERT ON {table} BEGIN {stamp('NEW')} END",
        f"CREATE TRIGGER {PREFIX}{table}_update AFTER UPDATE ON {table} BEGIN {stamp('NEW')} "
        f"{stamp('OLD', moved)} END",
        f"CREATE TRIGGER {PREFIX}{table}_delete AFTER DELETE ON {table} BEGIN {stamp('OLD')} END",
    ]


_PG_STAMP = """CREATE OR REPLACE FUNCTION segmenta_stamp(clinic bigint, patient bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF patient IS NOT NULL AND clinic IS NOT NULL THEN
        -- The patient's row first, then the stamp: the order in which the app locks a chart
        -- for a change (select_for_update), so the stamp adds no lock cycle of its own.
        PERFORM 1 FROM patients_patient WHERE id = patient FOR NO KEY UPDATE;
        INSERT INTO patients_patientstamp (clinic_id, patient_id, token)
        VALUES (clinic, patient, (random() * 9.2e18)::bigint)
        ON CONFLICT (clinic_id, patient_id) DO UPDATE SET token = excluded.token;
    END IF;
END $$"""


def _postgresql(model, found):
    table = model._meta.db_table
    name = f"{PREFIX}{table}"
    function = f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        PERFORM segmenta_stamp(NEW.clinic_id, {_patient_of(model, 'NEW', found)[0]});
    END IF;
    IF TG_OP = 'DELETE' THEN
        PERFORM segmenta_stamp(OLD.clinic_id, {_patient_of(model, 'OLD', found)[0]});
    ELSIF TG_OP = 'UPDATE' THEN
        IF {_changed(model, found)} THEN
            PERFORM segmenta_stamp(OLD.clinic_id, {_patient_of(model, 'OLD', found)[0]});
        END IF;
    END IF;
    RETURN NULL;
END $$"""
    # One trigger per operation, so the names are those of SQLite and ``live`` counts both alike.
    return [function] + [f"CREATE TRIGGER {name}_{op} AFTER {op.upper()} ON {table} "
                         f"FOR EACH ROW EXECUTE FUNCTION {name}()" for op in ("insert", "update", "delete")]


def uninstall(connection):
    """Drop every stamp trigger there is and every stamp, in one transaction (before
    migrations rebuild tables). Without a stamp nothing is kept, so from then until
    ``install`` every process reads each case afresh, whatever it kept before."""
    if connection.vendor == "sqlite":
        sql = "SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s ESCAPE '!'"
    elif connection.vendor == "postgresql":
        sql = "SELECT tgname, tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE %s ESCAPE '!'"
    else:
        return
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(sql, [PREFIX.replace("_", "!_") + "%"])
        for name, table in cursor.fetchall():
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if connection.vendor == "postgresql" else ""))
        if STAMP_TABLE in connection.introspection.table_names(cursor):
            cursor.execute(f"DELETE FROM {STAMP_TABLE}")
    connection.segmenta_stamps_live = None


def _columns(connection, cursor):
    """{table: its column names} of the whole database, in one query (Django's introspection
    takes several per table: a third of a second for these fifty, at every test's flush)."""
    if connection.vendor == "sqlite":
        cursor.execute("SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p "
                       "WHERE m.type = 'table'")
    else:
        cursor.execute("SELECT table_name, column_name FROM information_schema.columns "
                       "WHERE table_schema = current_schema()")
    found = {}
    for table, column in cursor.fetchall():
        found.setdefault(table, set()).add(column)
    return found


def _columns_present(columns, model, found):
    """Whether the tables a trigger of ``model`` reads have every column it names (an older
    schema may lack one: a trigger naming it would make every write to the table fail)."""
    reads = _patient_of(model, "NEW", found)[1]
    reads.setdefault(model._meta.db_table, set()).update(
        f.column for f in model._meta.concrete_fields
        if f.attname in ("patient_id", "clinic_id") or (f.is_relation and f.related_model in found))
    return all(needed <= columns.get(table, set()) for table, needed in reads.items())


def install(connection):
    """Make the stamp trigger of every table of patient data, renew every token and give
    every patient one: run after each migrate. When the schema is not the current one (a
    migrate back to an older state), nothing is made and no stamp kept: every case is then
    read afresh."""
    if connection.vendor not in ("sqlite", "postgresql"):
        return
    found = patient_data_models()
    models = stamped_models()
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        columns = _columns(connection, cursor)
        current = STAMP_TABLE in columns and all(_columns_present(columns, model, found) for model in models)
    uninstall(connection)
    if not current:
        return
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_PG_STAMP)
        for model in models:
            for sql in (_sqlite if connection.vendor == "sqlite" else _postgresql)(model, found):
                cursor.execute(sql)
        for sql in _people_triggers(connection.vendor):
            cursor.execute(sql)
        renew = "random()" if connection.vendor == "sqlite" else "(random() * 9.2e18)::bigint"
        cursor.execute(f"INSERT INTO {STAMP_TABLE} (clinic_id, patient_id, token) "
                       f"SELECT clinic_id, id, {renew} FROM patients_patient")
        cursor.execute(f"INSERT INTO {STAMP_TABLE} (clinic_id, patient_id, token) VALUES (%s, %s, {renew})", PEOPLE)
    connection.segmenta_stamps_live = None


def live(connection):
    """Whether every stamp trigger is in place and enabled, checked once per database
    connection object: a safeguard against triggers dropped or disabled by hand (``migrate``
    itself removes the stamps with the triggers, so nothing is kept meanwhile)."""
    known = getattr(connection, "segmenta_stamps_live", None)
    if known is None:
        wanted = set(trigger_names())
        if connection.vendor == "sqlite":
            sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s ESCAPE '!'"
        elif connection.vendor == "postgresql":
            # 'O': fires in an ordinary session; 'A': always. 'D' (disabled) and 'R' (only
            # on a replica's apply) would leave writes unstamped.
            sql = ("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled IN ('O', 'A') "
                   "AND tgname LIKE %s ESCAPE '!'")
        else:
            return False
        with connection.cursor() as cursor:
            cursor.execute(sql, [PREFIX.replace("_", "!_") + "%"])
            present = {row[0] for row in cursor.fetchall()}
        known = connection.segmenta_stamps_live = wanted <= present
    return known


def before_migrate(sender, using, **kwargs):
    from django.db import connections

    uninstall(connections[using])


def after_migrate(sender, using, **kwargs):
    from django.db import connections

    install(connections[using])
