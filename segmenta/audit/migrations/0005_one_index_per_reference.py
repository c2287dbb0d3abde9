"""Every audited read writes an event, and each write updates every index of the events'
table: four indexes that no query needs go.

- The clinic's and the patient's own indexes: the indexes (patient, -id) and (clinic, -id)
  start with them and serve every lookup the two did.
- On PostgreSQL, the second index Django makes for a text column (``…_like``, for LIKE
  'prefix%') on the user name and the action: the trail is searched by equal action and by
  user name without regard to case (UPPER(…) = UPPER(…)), which neither index serves, and
  never by a prefix.

Dropped by name, not by altering the fields: SQLite alters a field by copying the whole
table into a new one, and the old table's append-only triggers (0002, 0003) would go with
it."""

import django.db.models.deletion
from django.db import migrations, models

# Django's names for the indexes it made (the same on every database), with their columns.
REFERENCES = {"audit_auditevent_clinic_id_8b98597b": "clinic_id", "audit_auditevent_patient_id_82c45eaf": "patient_id"}
LIKE = {"audit_auditevent_action_2131bb77_like": "action", "audit_auditevent_username_58519277_like": "username"}


def drop(apps, schema_editor):
    for name in [*REFERENCES, *(LIKE if schema_editor.connection.vendor == "postgresql" else ())]:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def restore(apps, schema_editor):
    for name, column in REFERENCES.items():
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "audit_auditevent" ("{column}")')
    if schema_editor.connection.vendor == "postgresql":
        for name, column in LIKE.items():
            schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "audit_auditevent" ("{column}" varchar_pattern_ops)')


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0008_training_record_continuing_education'),
        ('audit', '0004_sealed_blocks'),
        ('patients', '0013_patient_stamp'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop, restore)],
            state_operations=[
                migrations.AlterField(
                    model_name='auditevent',
                    name='clinic',
                    field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='accounts.clinic'),
                ),
                migrations.AlterField(
                    model_name='auditevent',
                    name='patient',
                    field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='patients.patient'),
                ),
            ],
        ),
    ]
