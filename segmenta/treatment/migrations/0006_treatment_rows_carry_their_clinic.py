"""Plans, sessions and every part of a session carry their patient's clinic (issue 13:
segmenta/accounts/scoping.py says why). A session's and a plan's (id, clinic) are unique,
so their parts can refer to both at once on PostgreSQL."""

from django.db import migrations, models

from segmenta.accounts.scoping import add_clinic_operations, clinic_match_operation

PARENTS = [("treatmentplan", "treatment_treatmentplan", "patient_id", "patients_patient"),
           ("session", "treatment_session", "patient_id", "patients_patient")]
PARTS = [(kind, f"treatment_{kind}", "session_id", "treatment_session")
         for kind in ["complaintscore", "injection", "adverseevent", "followup", "amendment"]]
PARTS.append(("planreview", "treatment_planreview", "plan_id", "treatment_treatmentplan"))
# Their other references to patient data: to the patient's complaints, history and injections.
REFERENCES = [
    ("treatmentplan", "treatment_treatmentplan", "complaint_id", "patients_complaint"),
    ("session", "treatment_session", "plan_id", "treatment_treatmentplan"),
    ("complaintscore", "treatment_complaintscore", "complaint_id", "patients_complaint"),
    ("injection", "treatment_injection", "history_item_id", "patients_historyitem"),
    ("injection", "treatment_injection", "complaint_id", "patients_complaint"),
    ("adverseevent", "treatment_adverseevent", "injection_id", "treatment_injection"),
    ("followup", "treatment_followup", "injection_id", "treatment_injection"),
]
HISTORY = [("historicaltreatmentplan", "treatment_historicaltreatmentplan", "patient_id", "patients_patient"),
           ("historicalinjection", "treatment_historicalinjection", "session_id", "treatment_session")]


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_api_token_expiry_required"),
        ("patients", "0008_chart_entries_carry_their_clinic"),
        ("treatment", "0005_versions_of_plans_and_injections"),
    ]

    operations = [
        *add_clinic_operations(PARENTS + PARTS, HISTORY),
        migrations.AddConstraint("treatmentplan", models.UniqueConstraint(fields=["id", "clinic"],
                                                                          name="treatmentplan_id_clinic")),
        migrations.AddConstraint("session", models.UniqueConstraint(fields=["id", "clinic"], name="session_id_clinic")),
        migrations.AddConstraint("injection", models.UniqueConstraint(fields=["id", "clinic"],
                                                                      name="injection_id_clinic")),
        clinic_match_operation(PARENTS + PARTS + REFERENCES),
    ]
