"""Database connections: a server database's kept connections are checked before reuse,
so a database restart does not fail the first request of every worker; PostgreSQL prepares
what a connection runs again, and SQLite keeps its connection and its planner's statistics."""

import pytest

from segmenta.settings import database_from_url


def test_postgres_connections_are_kept_and_health_checked():
    db = database_from_url("postgres://segmenta@db.internal:5432/segmenta")
    assert db["ENGINE"] == "segmenta.postgresql_backend"  # Django's (segmenta/postgresql_backend)
    assert db["CONN_MAX_AGE"] == 60
    assert db["CONN_HEALTH_CHECKS"] is True


def test_sqlite_keeps_its_connection_between_requests():
    db = database_from_url("sqlite:////tmp/segmenta-test.sqlite3")
    assert db["CONN_MAX_AGE"] == 600
    assert db["CONN_HEALTH_CHECKS"] is False
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]


def test_sqlite_gathers_the_planners_statistics_as_a_connection_closes(tmp_path, django_db_blocker):
    """A clinic's rows must not make one patient's reads slower: with statistics, SQLite
    starts a read that names a clinic and a patient from the patient (segmenta/sqlite_backend)."""
    from django.db.utils import ConnectionHandler

    settings = database_from_url(f"sqlite:///{tmp_path / 'planner.sqlite3'}")
    query = ("SELECT count(*) FROM part JOIN session ON part.session_id = session.id"
             " WHERE part.clinic_id = 1 AND session.patient_id = 7")

    def connect():
        return ConnectionHandler({"default": settings})["default"]

    with django_db_blocker.unblock():  # a database of its own, not the test database
        first = connect()
        with first.cursor() as cursor:
            cursor.execute("CREATE TABLE session (id INTEGER PRIMARY KEY, clinic_id INT, patient_id INT)")
            cursor.execute("CREATE TABLE part (id INTEGER PRIMARY KEY, clinic_id INT, session_id INT)")
            for table, column in (("session", "clinic_id"), ("session", "patient_id"), ("part", "clinic_id"),
                                  ("part", "session_id")):
                cursor.execute(f"CREATE INDEX {table}_{column} ON {table} ({column})")
            # One clinic: 2,000 patients with 5 sessions of 10 parts each.
            cursor.executemany("INSERT INTO session VALUES (%s, 1, %s)", [(s, s % 2000) for s in range(10_000)])
            cursor.executemany("INSERT INTO part VALUES (%s, 1, %s)", [(p, p % 10_000) for p in range(100_000)])
            cursor.execute("EXPLAIN QUERY PLAN " + query)
            guessed = " ".join(row[3] for row in cursor.fetchall())
            cursor.execute(query)
        first.close()

        second = connect()
        with second.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + query)
            planned = " ".join(row[3] for row in cursor.fetchall())
        second.close()
    # Without statistics: every part of the clinic; with them: the patient's sessions first.
    assert "part_clinic_id" in guessed
    assert "session_patient_id" in planned and "part_clinic_id" not in planned


def test_sqlite_converts_each_statement_once_as_django_would(tmp_path, django_db_blocker):
    """Placeholders become SQLite's ``?`` as in Django (``%%`` a literal ``%``, named
    parameters their ``:name``), and a statement run again is not converted again."""
    from django.db.backends.sqlite3.base import SQLiteCursorWrapper
    from django.db.utils import ConnectionHandler

    from segmenta.sqlite_backend.base import CONVERTED_MAX_LENGTH, _qmark_style

    with django_db_blocker.unblock():
        connection = ConnectionHandler({"default": database_from_url(f"sqlite:///{tmp_path / 'q.sqlite3'}")})["default"]
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE t (name TEXT, n INT)")
            cursor.execute("INSERT INTO t VALUES (%s, %s)", ["50%s off", 1])
            _qmark_style.cache_clear()
            statement = "SELECT name, n FROM t WHERE name LIKE '50%%' AND n = %s"
            for _ in range(3):
                cursor.execute(statement, [1])
                assert cursor.fetchall() == [("50%s off", 1)]
            cursor.execute("SELECT n FROM t WHERE name = %(name)s", {"name": "50%s off"})
            assert cursor.fetchall() == [(1,)]
            long = "SELECT n FROM t WHERE n IN (" + ", ".join(["%s"] * CONVERTED_MAX_LENGTH) + ")"
            cursor.execute(long, [1] * CONVERTED_MAX_LENGTH)
            assert cursor.fetchall() == [(1,)]
        connection.close()
    assert _qmark_style.cache_info().misses == 1 and _qmark_style.cache_info().hits == 2
    for query in (statement, "SELECT '%%s', %s", "SELECT %s || '%%'"):
        assert _qmark_style(query) == SQLiteCursorWrapper.convert_query(None, query)


def test_postgres_binds_values_on_the_server_and_prepares_repeated_statements(monkeypatch):
    db = database_from_url("postgres://segmenta@db.internal:5432/segmenta")
    assert db["OPTIONS"]["server_side_binding"] is True and db["OPTIONS"]["prepare_threshold"] == 5
    # Behind a pooler that keeps no prepared statements, both can be turned off.
    monkeypatch.setenv("SEGMENTA_DB_SERVER_BINDING", "0")
    assert database_from_url("postgres://segmenta@db.internal/segmenta")["OPTIONS"]["server_side_binding"] is False


@pytest.mark.django_db
def test_a_statement_run_again_on_postgres_is_prepared_once_and_answers_alike():
    """A repeated statement is parsed once per connection, then only run: the server lists
    it among the session's prepared statements, and its answers follow the values."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    from segmenta.accounts.models import Clinic

    clinics = [Clinic.objects.create(name=f"Prepared {i}") for i in range(7)]
    for clinic in clinics:
        assert Clinic.objects.filter(pk=clinic.pk).values_list("name", flat=True).get() == clinic.name
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('FROM "accounts_clinic"' in sql and "$1" in sql for sql in prepared)


@pytest.mark.django_db
def test_a_statement_of_more_values_than_postgres_binds_still_answers(clinic):
    """The server binds at most 65,535 values to a statement; a filter on a longer list of
    ids (a retention run over a large installation) has them written into its text instead."""
    from segmenta.conftest import make_patient
    from segmenta.patients.models import Patient

    patients = {make_patient(clinic, family=f"Many{i}").pk for i in range(3)}
    ids = [*range(-70_000, 0), *sorted(patients)]
    assert set(Patient.objects.filter(pk__in=ids).values_list("pk", flat=True)) == patients
    assert Patient.objects.filter(pk__in=ids[:100], family_name__startswith="Many").count() == 0
