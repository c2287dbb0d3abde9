"""Every chart entry and every version of one carries its patient's clinic (issue 13:
segmenta/accounts/scoping.py says why). A patient's (id, clinic) is unique, so the entries
can refer to both at once on PostgreSQL."""

from django.db import migrations, models

from segmenta.accounts.scoping import add_clinic_operations, clinic_match_operation

KINDS = ["allergy", "chartreview", "complaint", "condition", "consent", "historyitem", "medication",
         "pregnancystatus", "weightmeasurement"]
TABLES = [(kind, f"patients_{kind}", "patient_id", "patients_patient") for kind in KINDS]
HISTORY = [(f"historical{kind}", f"patients_historical{kind}", "patient_id", "patients_patient") for kind in KINDS]


def search_index_again(apps, schema_editor):
    """SQLite adds the (id, clinic) constraint by rebuilding the patients' table, which drops
    the name search's triggers: set them up again."""
    from segmenta.patients import search_index

    search_index.install(schema_editor.connection)


def versions_of_removed_patients(apps, schema_editor):
    """A version whose patient is gone takes the clinic from the patient's own versions."""
    with schema_editor.connection.cursor() as cursor:
        for _model, table, _column, _parent in HISTORY:
            cursor.execute(
                f'UPDATE "{table}" SET "clinic_id" = (SELECT MAX(p."clinic_id") FROM "patients_historicalpatient" p '
                f'WHERE p."id" = "{table}"."patient_id") WHERE "clinic_id" IS NULL')


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_api_token_expiry_required"),
        ("patients", "0007_patient_search_by_clinic"),
    ]

    operations = [
        migrations.AddConstraint("patient", models.UniqueConstraint(fields=["id", "clinic"], name="patient_id_clinic")),
        migrations.RunPython(search_index_again, migrations.RunPython.noop),
        *add_clinic_operations(TABLES, HISTORY),
        migrations.RunPython(versions_of_removed_patients, migrations.RunPython.noop),
        # Injections, plans and answers refer to these and their clinic at once.
        migrations.AddConstraint("complaint", models.UniqueConstraint(fields=["id", "clinic"],
                                                                      name="complaint_id_clinic")),
        migrations.AddConstraint("historyitem", models.UniqueConstraint(fields=["id", "clinic"],
                                                                        name="historyitem_id_clinic")),
        clinic_match_operation(TABLES),
    ]
