"""Every table of patient data carries ``clinic_id``, and every read a clinician makes names
it (segmenta/accounts/scoping.py says why: a database distributed by clinic).

The first test walks every model; the last walks every page and API read a clinician can
open on the demo's charts and reads the SQL each one sends.
"""

import re

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, models
from django.test.utils import CaptureQueriesContext

from segmenta.accounts.models import ApiToken, Clinic
from segmenta.accounts.scoping import ClinicScoped
from segmenta.conftest import login_verified
from segmenta.patients.models import Patient
from segmenta.patients.stamps import patient_data_models
from segmenta.tests.pages import chart_items, readable_urls

def test_every_table_of_patient_data_carries_its_clinic():
    tables = patient_data_models()
    # The walk finds what it should: the chart, the sessions and their parts, the answers,
    # the versions, the outcome figures and the audit trail.
    names = {m._meta.db_table for m in tables}
    assert {"patients_allergy", "treatment_injection", "treatment_followup", "treatment_planreview",
            "outcomes_alert", "patients_historicalconsent", "treatment_historicalinjection",
            "outcomes_complaintoutcome", "audit_auditevent"} <= names
    without = sorted(m._meta.label for m in tables
                     if "clinic_id" not in {f.attname for f in m._meta.concrete_fields})
    assert without == []


def test_a_row_takes_its_clinic_from_its_parent_never_from_input(patient, other_clinic, doctor):
    from segmenta.patients.models import Allergy
    from segmenta.treatment.models import Injection, Session

    allergy = Allergy(patient=patient, substance="latex", allergy_class="other", clinic=other_clinic)
    allergy.save()
    session = Session.objects.create(patient=patient, started_at="2026-01-05T10:00:00+00:00", practitioner=doctor)
    injection = Injection.objects.create(session=session, order=1, time=session.started_at, target="wheal",
                                         concentration_percent=1, volume_ml=0.5, verdict="ok", mg=5, cumulative_mg=5)
    assert {allergy.clinic_id, session.clinic_id, injection.clinic_id} == {patient.clinic_id}
    assert allergy.versions.get().clinic_id == patient.clinic_id


@pytest.mark.django_db
def test_the_database_refuses_a_row_in_another_clinic_than_its_parent(patient, other_clinic):
    """A row written past save() (raw SQL, a bulk write) cannot leave its parent's clinic on
    PostgreSQL; on SQLite save() is the only guard."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL checks (parent, clinic) with a foreign key")
    from django.db import IntegrityError, transaction

    from segmenta.patients.models import Allergy

    allergy = Allergy.objects.create(patient=patient, substance="latex", allergy_class="other")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE patients_allergy SET clinic_id = %s WHERE id = %s", [other_clinic.pk, allergy.pk])
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.mark.django_db
def test_every_reference_between_rows_of_patient_data_stays_in_one_clinic():
    """On PostgreSQL each foreign key from one row of patient data to another is paired with
    a (reference, clinic) key, so a join along it never leaves the clinic."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL checks (reference, clinic) with foreign keys")
    data = patient_data_models()
    wanted = {f"{m._meta.db_table}_{f.column}_same_clinic"
              for m in apps.get_models() if issubclass(m, ClinicScoped)
              for f in m._meta.concrete_fields
              if f.is_relation and f.related_model in data and f.name != "clinic"}
    with connection.cursor() as cursor:
        cursor.execute("SELECT conname FROM pg_constraint WHERE contype = 'f' AND conname LIKE %s", ["%_same_clinic"])
        present = {row[0] for row in cursor.fetchall()}
    assert len(wanted) >= 25
    assert sorted(wanted - present) == []


def test_a_query_through_a_parent_names_its_clinic(patient):
    from segmenta.patients.models import Allergy
    from segmenta.treatment.models import Session

    for queryset in [patient.allergies.all(), Allergy.objects.filter(patient=patient),
                     Session.objects.filter(patient__in=[patient]), Session.objects.filter(patient=patient).values("id")]:
        sql = str(queryset.query)
        assert f'"clinic_id" = {patient.clinic_id}' in sql or f'"clinic_id" IN ({patient.clinic_id})' in sql, sql
    # A bare id says nothing of its clinic: such a query must name it itself.
    assert '"clinic_id" =' not in str(Session.objects.filter(patient=patient.pk).query)
    # A negation names no clinic: it would hide the other clinics' rows the query asks for.
    assert '"clinic_id" =' not in str(Allergy.objects.exclude(patient=patient).query)
    # prefetch_related reads through the same filter.
    with CaptureQueriesContext(connection) as ctx:
        list(Patient.objects.filter(pk=patient.pk).prefetch_related("allergies", "sessions"))
    assert all(f'"clinic_id" = {patient.clinic_id}' in q["sql"] for q in ctx.captured_queries[1:])


# --- Every read a clinician makes ----------------------------------------------------------

SCOPED_TABLES = None


def scoped_tables():
    global SCOPED_TABLES
    if SCOPED_TABLES is None:
        SCOPED_TABLES = {m._meta.db_table for m in patient_data_models()} - {"audit_auditevent"}
    return SCOPED_TABLES


REFERENCE = re.compile(r'(FROM|JOIN)\s+"(\w+)"(?:\s+(?:AS\s+)?"?([A-Z]\d+)"?)?(?:\s+ON\s+\("?(\w+)"?\.)?')


def unscoped(sql):
    """The patient-data tables a statement reads without naming their clinic.

    A table names it with a condition on its own ``clinic_id``, or by being joined through a
    foreign key from a table that does: every reference between rows of patient data stays
    within one clinic (the (reference, clinic) keys of segmenta/accounts/scoping.py).
    """
    if not sql.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE")):
        return []
    named = set()
    missing = []
    for keyword, table, alias, joined_from in REFERENCE.findall(sql):
        if table not in scoped_tables():
            continue
        qualifier = alias or table
        own = re.escape(qualifier)
        if re.search(rf'"?{own}"?\."clinic_id"\s*(=|IN\b)', sql) or re.search(rf'=\s*"?{own}"?\."clinic_id"', sql) \
                or (keyword == "JOIN" and joined_from in named):
            named.add(qualifier)
        else:
            missing.append(table)
    return missing


@pytest.mark.django_db
def test_every_page_and_api_read_names_the_clinic(client):
    from segmenta.treatment.models import Session

    with open("/dev/null", "w") as quiet:
        call_command("demo", stdout=quiet)
    doctor = get_user_model().objects.get(username="demo-doctor")
    patient = (Patient.objects.filter(clinic=Clinic.objects.get(name="Demo Praxis"))
               .annotate(n=models.Count("sessions")).order_by("-n", "pk").first())
    session = Session.objects.filter(patient=patient).order_by("-started_at").first()
    plan = patient.plans.first()
    assert session is not None and plan is not None
    items = chart_items(patient)
    login_verified(client, doctor)
    _token, raw = ApiToken.issue(doctor, "scoping test")
    seen, problems = 0, []
    for url in readable_urls(patient, session, plan, items):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"} if url.startswith("/api/") else {}
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url, **headers)
        if response.status_code != 200:
            continue
        seen += 1
        for query in ctx.captured_queries:
            tables = unscoped(query["sql"])
            if tables:
                problems.append(f"{url}: {', '.join(sorted(set(tables)))}: {query['sql'][query['sql'].find(' FROM '):][:500]}")
    assert seen >= 30  # the chart, its sessions, its entries and their versions, the API, the reports
    assert problems == [], "\n".join(problems)
