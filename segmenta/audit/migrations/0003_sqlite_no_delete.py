"""SQLite refuses DELETE on the audit trail too, as PostgreSQL does since 0002.

Deleting the newest events leaves no broken link behind, so only the database can stop it
(or an anchor kept elsewhere reveal it: `segmenta audit anchor`). `segmenta flush` empties
the database as before: on SQLite it lifts this guard for its own transaction
(segmenta/audit/management/commands/flush.py), as PostgreSQL's TRUNCATE passes row triggers.
"""

from django.db import migrations

FORWARD = """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_auditevent
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END"""
BACKWARD = "DROP TRIGGER IF EXISTS audit_event_no_delete"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]
    operations = [migrations.RunPython(forward, backward)]
