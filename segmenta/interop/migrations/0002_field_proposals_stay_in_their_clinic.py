"""On PostgreSQL a proposed history item refers to its patient and to the history item it
became only within its own clinic (segmenta/accounts/scoping.py)."""

from django.db import migrations

from segmenta.accounts.scoping import clinic_match_operation


class Migration(migrations.Migration):

    dependencies = [
        ("interop", "0001_field_proposals"),
        ("patients", "0010_alter_historicalmedication_medication_class_and_more"),
    ]

    operations = [
        clinic_match_operation([
            ("fieldproposal", "interop_fieldproposal", "patient_id", "patients_patient"),
            ("fieldproposal", "interop_fieldproposal", "history_item_id", "patients_historyitem"),
        ]),
    ]
