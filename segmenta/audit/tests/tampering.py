"""What an attacker with database access could do to the trail: lift the guard, then write."""

from django.db import connection


def unguarded(sql, params=(), kind="event"):
    """Run ``sql`` on the audit table of ``kind`` (event or block) past its triggers: disabled
    on PostgreSQL for the statement, dropped on SQLite (as an owner could)."""
    table = f"audit_audit{kind}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            cursor.execute(sql, params)
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        else:
            cursor.execute(f"DROP TRIGGER IF EXISTS audit_{kind}_no_update")
            cursor.execute(f"DROP TRIGGER IF EXISTS audit_{kind}_no_delete")
            cursor.execute(sql, params)


def delete(ids, kind="event"):
    unguarded(f"DELETE FROM audit_audit{kind} WHERE id IN ({', '.join(['%s'] * len(ids))})", ids, kind)
