"""Red-flag screenings carry their patient's clinic (issue 13: segmenta/accounts/scoping.py)."""

from django.db import migrations

from segmenta.accounts.scoping import add_clinic_operations, clinic_match_operation

TABLES = [("redflagscreening", "assessment_redflagscreening", "patient_id", "patients_patient")]


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_api_token_expiry_required"),
        ("patients", "0008_chart_entries_carry_their_clinic"),
        ("assessment", "0001_initial"),
    ]

    operations = [
        *add_clinic_operations(TABLES),
        clinic_match_operation([*TABLES, ("redflagscreening", "assessment_redflagscreening", "complaint_id",
                                          "patients_complaint")]),
    ]
