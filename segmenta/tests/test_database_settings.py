"""Database connections: a server database's kept connections are checked before reuse,
so a database restart does not fail the first request of every worker."""

from segmenta.settings import database_from_url


def test_postgres_connections_are_kept_and_health_checked():
    db = database_from_url("postgres://segmenta@db.internal:5432/segmenta")
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert db["CONN_MAX_AGE"] == 60
    assert db["CONN_HEALTH_CHECKS"] is True


def test_sqlite_keeps_its_connection_between_requests():
    db = database_from_url("sqlite:////tmp/segmenta-test.sqlite3")
    assert db["CONN_MAX_AGE"] == 600
    assert db["CONN_HEALTH_CHECKS"] is False
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]
