"""Every write to a patient's data renews the patient's stamp in the database itself
(segmenta/patients/stamps.py), however it is written: save(), a bulk update(), raw SQL."""

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from segmenta.patients import stamps
from segmenta.patients.models import Allergy, Patient, PatientStamp
from segmenta.treatment.models import Injection, Session

pytestmark = pytest.mark.django_db


def token(patient):
    return PatientStamp.objects.get(clinic_id=patient.clinic_id, patient_id=patient.pk).token


def run(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_every_table_of_patient_data_is_stamped_but_the_audit_trail():
    stamped = set(stamps.stamped_models())
    left_out = {m._meta.label for m in stamps.patient_data_models() - stamped}
    assert left_out == {"audit.AuditEvent", "patients.PatientStamp"}
    assert len(stamped) >= 45
    found = stamps.patient_data_models()
    # Each finds its patient: directly, or through the row it belongs to (an invoice's lines).
    assert [m._meta.label for m in stamped if stamps._patient_of(m, "NEW", found)[0] is None] == []
    assert stamps.live(connection)


def test_a_new_patient_has_a_stamp_and_each_change_renews_it(patient, other_clinic):
    from segmenta.conftest import make_patient

    other = make_patient(other_clinic)
    first, others = token(patient), token(other)
    allergy = Allergy.objects.create(patient=patient, substance="latex", allergy_class="other")
    seen = [first, token(patient)]
    Allergy.objects.filter(pk=allergy.pk).update(substance="nickel")  # no signal, no save()
    seen.append(token(patient))
    run("UPDATE patients_patient SET given_name = 'Changed' WHERE id = %s", [patient.pk])
    seen.append(token(patient))
    run("DELETE FROM patients_historicalallergy WHERE id = %s", [allergy.versions.first().pk])
    seen.append(token(patient))
    allergy.delete()
    seen.append(token(patient))
    assert len(set(seen)) == len(seen)
    assert token(other) == others  # another patient's stamp is left alone


def test_a_row_under_a_session_renews_its_patient_stamp(patient, doctor):
    session = Session.objects.create(patient=patient, started_at="2026-01-05T10:00:00+00:00", practitioner=doctor)
    before = token(patient)
    injection = Injection.objects.create(session=session, order=1, time=session.started_at, target="wheal",
                                         concentration_percent=1, volume_ml=0.5, verdict="ok", mg=5, cumulative_mg=5)
    after_insert = token(patient)
    run("UPDATE treatment_injection SET volume_ml = 0.4 WHERE id = %s", [injection.pk])
    after_update = token(patient)
    assert len({before, after_insert, after_update}) == 3


def test_a_read_leaves_the_stamp_alone(patient, api_client):
    before = token(patient)
    for url in (f"/api/v1/patients/{patient.pk}", f"/api/v1/patients/{patient.pk}/case", "/api/v1/patients"):
        assert api_client.get(url).status_code == 200
    assert token(patient) == before


def test_a_raw_write_to_any_table_of_patient_data_renews_its_patient_stamp():
    """Walks every stamped table that the demo fills and rewrites one of its rows in SQL."""
    call_command("demo", stdout=open("/dev/null", "w"))
    tried = 0
    for model in stamps.stamped_models():
        row = model._base_manager.order_by("pk").first()
        if row is None:
            continue
        table, pk = model._meta.db_table, model._meta.pk.column
        before = dict(PatientStamp.objects.values_list("patient_id", "token"))
        try:
            with transaction.atomic():
                run(f"UPDATE {table} SET clinic_id = clinic_id WHERE {pk} = %s", [row.pk])
        except DatabaseError:  # a row the database keeps unchanged (an issued invoice): nothing written
            assert dict(PatientStamp.objects.values_list("patient_id", "token")) == before
            continue
        after = dict(PatientStamp.objects.values_list("patient_id", "token"))
        renewed = {patient for patient, value in after.items() if before.get(patient) != value}
        assert len(renewed) == 1, model._meta.label
        tried += 1
    assert tried >= 30


def test_migrate_renews_every_stamp_and_gives_every_patient_one(patient):
    first = token(patient)
    PatientStamp.objects.all().delete()
    stamps.install(connection)
    second = token(patient)
    stamps.install(connection)
    assert len({first, second, token(patient)}) == 3


def test_a_missing_trigger_is_noticed(patient):
    assert stamps.live(connection)
    table = Allergy._meta.db_table
    run(f"DROP TRIGGER {stamps.PREFIX}{table}_update" + (f" ON {table}" if connection.vendor == "postgresql" else ""))
    connection.segmenta_stamps_live = None
    try:
        assert not stamps.live(connection)
    finally:
        stamps.install(connection)
    assert stamps.live(connection)
    assert Patient.objects.filter(pk=patient.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_migrating_back_and_forth_keeps_the_stamps(clinic):
    """`migrate` drops the triggers first: on SQLite, rebuilding a table that another table's
    trigger names (an invoice, which its lines' trigger reads) would fail with them in place."""
    from segmenta.conftest import make_patient

    patient = make_patient(clinic)
    before = token(patient)
    call_command("migrate", "billing", "0001", verbosity=0)
    call_command("migrate", "patients", "0012", verbosity=0)  # before stamps existed
    call_command("migrate", verbosity=0)
    assert stamps.live(connection)
    assert token(patient) != before
    Allergy.objects.create(patient=patient, substance="latex", allergy_class="other")
    assert token(patient) != before


def test_a_version_without_its_clinic_or_patient_is_written_and_stamps_nothing(patient):
    """Versions keep their references nullable; such a row must still be written."""
    allergy = Allergy.objects.create(patient=patient, substance="latex", allergy_class="other")
    version = allergy.versions.first()
    before = token(patient)
    # Taken from the patient: the patient's data changed.
    run("UPDATE patients_historicalallergy SET clinic_id = NULL WHERE history_id = %s", [version.pk])
    moved = token(patient)
    assert moved != before
    # A row of no clinic (or no patient) is written and renews nothing.
    run("UPDATE patients_historicalallergy SET substance = 'nickel' WHERE history_id = %s", [version.pk])
    run("UPDATE patients_historicalallergy SET patient_id = NULL, clinic_id = %s WHERE history_id = %s",
        [patient.clinic_id, version.pk])
    run("UPDATE patients_historicalallergy SET substance = 'latex' WHERE history_id = %s", [version.pk])
    assert token(patient) == moved
    assert Allergy.versions.model.objects.filter(pk=version.pk, patient_id=None, substance="latex").exists()
