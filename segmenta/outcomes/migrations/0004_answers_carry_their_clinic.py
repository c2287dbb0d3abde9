"""Answer links, answers and their alerts carry their patient's clinic (issue 13:
segmenta/accounts/scoping.py says why)."""

from django.db import migrations, models

from segmenta.accounts.scoping import add_clinic_operations, clinic_match_operation

TABLES = [(kind, f"outcomes_{kind}", "patient_id", "patients_patient") for kind in ["answerlink", "response", "alert"]]

REFERENCES = [("answerlink", "outcomes_answerlink", "complaint_id", "patients_complaint"),
              ("response", "outcomes_response", "complaint_id", "patients_complaint"),
              ("response", "outcomes_response", "link_id", "outcomes_answerlink"),
              ("alert", "outcomes_alert", "response_id", "outcomes_response")]


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_api_token_expiry_required"),
        ("patients", "0008_chart_entries_carry_their_clinic"),
        ("outcomes", "0003_practice_outcome_aggregates"),
    ]

    operations = [
        *add_clinic_operations(TABLES),
        migrations.AddConstraint("answerlink", models.UniqueConstraint(fields=["id", "clinic"],
                                                                       name="answerlink_id_clinic")),
        migrations.AddConstraint("response", models.UniqueConstraint(fields=["id", "clinic"], name="response_id_clinic")),
        clinic_match_operation(TABLES + REFERENCES),
    ]
