"""What an issued invoice prints, kept at issuing (``printed``); a line's knowledge-base fee
code and whether its price was entered (``fee_code``, ``priced``). The triggers that keep an
issued invoice as issued are made again to cover the new columns; they are dropped first
because SQLite adds a column with a default by rebuilding the table."""

import importlib

from django.db import migrations, models

frozen = importlib.import_module("segmenta.billing.migrations.0002_issued_invoices_never_change")

FROZEN = [*frozen.FROZEN, "printed"]
LINE_COLUMNS = [*frozen.LINE_COLUMNS, "fee_code", "priced"]


def _statements(vendor, *columns):
    make = {"sqlite": frozen._sqlite, "postgresql": frozen._postgresql}.get(vendor)
    return make(*columns) if make else ([], [])


def drop_old(apps, schema_editor):
    for statement in _statements(schema_editor.connection.vendor)[1]:
        schema_editor.execute(statement, params=None)


def create_old(apps, schema_editor):
    for statement in _statements(schema_editor.connection.vendor)[0]:
        schema_editor.execute(statement, params=None)


def create_new(apps, schema_editor):
    for statement in _statements(schema_editor.connection.vendor, FROZEN, LINE_COLUMNS)[0]:
        schema_editor.execute(statement, params=None)


def drop_new(apps, schema_editor):
    for statement in _statements(schema_editor.connection.vendor, FROZEN, LINE_COLUMNS)[1]:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0003_vat_exemption_note_help'),
    ]

    operations = [
        migrations.RunPython(drop_old, create_old),
        migrations.AddField(
            model_name='invoice',
            name='printed',
            field=models.JSONField(blank=True, default=dict, verbose_name='as printed'),
        ),
        migrations.AddField(
            model_name='invoiceline',
            name='fee_code',
            field=models.CharField(blank=True, max_length=60, verbose_name='fee code entry'),
        ),
        migrations.AddField(
            model_name='invoiceline',
            name='priced',
            field=models.BooleanField(default=True, verbose_name='priced'),
        ),
        migrations.RunPython(create_new, drop_new),
    ]
