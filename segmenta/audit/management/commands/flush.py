"""Django's `flush`, able to empty the audit trail on SQLite too.

Emptying the whole database is an operator's act (and what the test runner does between
transactional tests). On PostgreSQL flush uses TRUNCATE, which row triggers do not see; on
SQLite it deletes row by row, which the audit trail's DELETE trigger refuses. So on SQLite
the audit tables' triggers are dropped and recreated from their own stored text around the
flush, all in one transaction: if anything fails, the guards are back as they were.
"""

from django.core.management.commands import flush
from django.db import connections, transaction

AUDIT_TABLES = ("audit_auditevent", "audit_auditblock")


class Command(flush.Command):
    def handle(self, **options):
        connection = connections[options["database"]]
        if connection.vendor != "sqlite":
            return super().handle(**options)
        with transaction.atomic(using=connection.alias):
            with connection.cursor() as cursor:
                cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN (%s, %s)",
                               AUDIT_TABLES)
                triggers = cursor.fetchall()
                for name, _sql in triggers:
                    cursor.execute(f'DROP TRIGGER "{name}"')
            super().handle(**options)
            with connection.cursor() as cursor:
                for _name, sql in triggers:
                    cursor.execute(sql)
