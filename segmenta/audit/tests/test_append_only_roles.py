"""Who may rewrite the audit trail: on SQLite nobody through SQL short of dropping the
triggers (only `flush`, which empties the whole database, lifts them for itself); on
PostgreSQL the app runs as a role that owns nothing and may only read and append to it."""

import io
import uuid

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from segmenta.audit.models import AuditEvent
from segmenta.audit.trail import record, verify

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql",
                                   reason="roles are PostgreSQL's; SQLite has none (its file's owner can do anything)")


def trigger_names():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_auditevent'::regclass "
                           "AND NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_auditevent'")
        return sorted(name for (name,) in cursor.fetchall())


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_trail_and_keeps_its_guards(doctor):
    record("login", user=doctor)
    assert trigger_names() == ["audit_event_no_delete", "audit_event_no_update"]
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEvent.objects.exists()
    assert trigger_names() == ["audit_event_no_delete", "audit_event_no_update"]
    record("login", username="after-flush")
    assert verify() == (1, [])


def run_grant(role):
    out = io.StringIO()
    try:
        call_command("audit", "grant-app-role", role, stdout=out)
    except CommandError as error:
        return error.returncode, str(error)
    return 0, out.getvalue()


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite's answer")
def test_grant_app_role_on_sqlite_is_bad_input(db):
    code, message = run_grant("segmenta_app")
    assert code == 2 and "needs PostgreSQL" in message


@pytest.fixture
def app_role(transactional_db):
    """A throwaway login role, dropped with its grants afterwards."""
    name = f"segmenta_app_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{name}" LOGIN')
    yield name
    with connection.cursor() as cursor:
        cursor.execute(f'DROP OWNED BY "{name}"')
        cursor.execute(f'DROP ROLE "{name}"')


def connect_as(role):
    settings = connection.settings_dict
    return psycopg.connect(host=settings["HOST"], port=settings["PORT"] or 5432, dbname=settings["NAME"],
                           user=role, autocommit=True)


@on_postgresql
def test_the_app_role_may_read_and_append_but_not_rewrite_the_trail(app_role, doctor, patient):
    event = record("view", user=doctor, patient=patient, obj=patient)
    code, out = run_grant(app_role)
    assert code == 0 and f"role {app_role}:" in out
    with connect_as(app_role) as app:
        assert app.execute("SELECT hash FROM audit_auditevent WHERE id = %s", [event.pk]).fetchone() == (event.hash,)
        for attack in ("DELETE FROM audit_auditevent",
                       "UPDATE audit_auditevent SET username = 'x'",
                       "TRUNCATE audit_auditevent",
                       "DROP TRIGGER audit_event_no_delete ON audit_auditevent",
                       "ALTER TABLE audit_auditevent DISABLE TRIGGER USER",
                       "DROP TABLE audit_auditevent",
                       "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger "
                       "AS $$ BEGIN RETURN OLD; END; $$ LANGUAGE plpgsql"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app.execute(attack)
        # Everything else the app does still works, appending to the trail included.
        app.execute("UPDATE patients_patient SET given_name = given_name WHERE id = %s", [patient.pk])
        with app.transaction():
            app.execute("SELECT pg_advisory_xact_lock(1)")
            app.execute(
                "INSERT INTO audit_auditevent (at, username, action, object_type, object_id, detail, prev_hash, hash) "
                "VALUES (now(), 'app', 'login', '', '', '{}', %s, %s)", [event.hash, "a" * 64])
    assert AuditEvent.objects.filter(username="app").exists()
    assert trigger_names() == ["audit_event_no_delete", "audit_event_no_update"]


@on_postgresql
def test_grant_refuses_roles_that_could_undo_the_guard(app_role):
    code, message = run_grant("no_such_role_here")
    assert code == 2 and "no such PostgreSQL role" in message
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        (owner,) = cursor.fetchone()
        cursor.execute(f'ALTER ROLE "{app_role}" SUPERUSER')
    code, message = run_grant(app_role)
    assert code == 2 and "superuser" in message
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER ROLE "{app_role}" NOSUPERUSER')
        cursor.execute(f'GRANT "{owner}" TO "{app_role}"')
    code, message = run_grant(app_role)
    assert code == 2 and "owns the audit table" in message
