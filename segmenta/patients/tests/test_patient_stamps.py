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
        if sql.startswith(("UPDATE", "DELETE")):  # a write that found no row tests nothing
            assert cursor.rowcount >= 1, sql


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
    run("DELETE FROM patients_historicalallergy WHERE history_id = %s", [allergy.versions.get().pk])
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


@pytest.mark.parametrize("model", ["patients.Allergy", "accounts.TrainingRecord"])  # a chart's; the people's
def test_a_missing_trigger_is_noticed(patient, model):
    from django.apps import apps

    assert stamps.live(connection)
    table = apps.get_model(model)._meta.db_table
    run(f"DROP TRIGGER {stamps.PREFIX}{table}_update" + (f" ON {table}" if connection.vendor == "postgresql" else ""))
    connection.segmenta_stamps_live = None
    try:
        assert not stamps.live(connection)
    finally:
        stamps.install(connection)
    assert stamps.live(connection)
    assert Patient.objects.filter(pk=patient.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_migrating_back_and_forth_keeps_the_stamps(clinic, doctor):
    """`migrate` drops the triggers first: on SQLite, rebuilding a table that another table's
    trigger names (an invoice, which its lines' trigger reads) would fail with them in place.
    On an older schema none is made (a trigger naming a column the table lacks yet would make
    every write to it fail), and no stamp is left, so nothing is kept."""
    from segmenta.conftest import make_patient

    patient = make_patient(clinic)
    session = Session.objects.create(patient=patient, started_at="2026-01-05T10:00:00+00:00", practitioner=doctor)
    before = token(patient)
    call_command("migrate", "billing", "0001", verbosity=0)
    assert stamps.live(connection) and token(patient) != before
    call_command("migrate", "treatment", "0005", verbosity=0)  # before sessions carried their clinic
    connection.segmenta_stamps_live = None
    assert not stamps.live(connection)
    assert not PatientStamp.objects.exists()
    run("UPDATE treatment_session SET started_at = started_at WHERE id = %s", [session.pk])
    call_command("migrate", "patients", "0012", verbosity=0)  # before stamps existed
    call_command("migrate", verbosity=0)
    assert stamps.live(connection)
    renewed = token(patient)
    assert renewed != before
    Allergy.objects.create(patient=patient, substance="latex", allergy_class="other")
    assert token(patient) not in (before, renewed)


@pytest.mark.django_db(transaction=True)
def test_a_change_and_a_chart_lock_in_another_transaction_never_deadlock(patient, doctor):
    """On PostgreSQL a write to a patient's data takes the patient's row before the stamp's:
    a transaction that writes an entry and then locks the chart (as the outcome figures do)
    and one that changes the patient's details at the same time queue, never deadlock."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    import threading
    import time

    from django.db import connections

    written, errors = threading.Event(), []

    def entry_then_lock():
        try:
            with transaction.atomic():
                Allergy.objects.create(patient=patient, substance="latex", allergy_class="other")
                written.set()
                time.sleep(0.5)  # the other transaction changes the patient meanwhile
                Patient.objects.select_for_update().get(pk=patient.pk)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    def change_details():
        try:
            written.wait(5)
            with transaction.atomic():
                Patient.objects.filter(pk=patient.pk).update(given_name="Erika Maria")
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=entry_then_lock), threading.Thread(target=change_details)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert errors == []
    assert Patient.objects.get(pk=patient.pk).given_name == "Erika Maria"
    assert Allergy.objects.filter(patient=patient).count() == 1


def test_without_stamps_nothing_kept_is_read(patient):
    """While `migrate` runs (triggers and stamps gone), a process that found the triggers in
    place before reads every case afresh: a write then renews no token, yet shows."""
    from segmenta.treatment.case import stored_case

    patient = Patient.objects.get(pk=patient.pk)
    assert stored_case(patient)["patient"]["allergies"] == []
    stamps.uninstall(connection)
    connection.segmenta_stamps_live = True  # as checked by a worker before the migrate began
    try:
        Allergy.objects.create(patient=patient, substance="latex", allergy_class="other")
        assert [a["substance"] for a in stored_case(patient)["patient"]["allergies"]] == ["latex"]
    finally:
        stamps.install(connection)


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


def test_a_change_to_a_users_name_renews_the_peoples_stamp(doctor, patient):
    """Charts name the users who recorded their entries: a rename renews the people's stamp,
    however it is written; a login, which writes the same row, does not."""
    from django.contrib.auth import get_user_model

    def people():
        return PatientStamp.objects.get(clinic_id=stamps.PEOPLE[0], patient_id=stamps.PEOPLE[1]).token

    users = get_user_model().objects.filter(pk=doctor.pk)
    seen = [people()]
    users.update(last_login="2026-11-30T08:00:00+00:00", first_name=doctor.first_name)
    assert people() == seen[-1]
    users.update(first_name="Anna")
    seen.append(people())
    run("UPDATE auth_user SET last_name = 'Weber' WHERE id = %s", [doctor.pk])
    seen.append(people())
    users.update(username="doctor-weber")
    seen.append(people())
    other = get_user_model().objects.create_user(username="leaving")
    assert people() == seen[-1]  # a new user is named on no chart yet
    other.delete()
    seen.append(people())
    assert len(set(seen)) == len(seen)
    patient_before = token(patient)
    users.update(first_name="Anne")
    assert token(patient) == patient_before  # a patient's own stamp is the patient's data alone


def test_any_change_to_a_recorded_training_renews_the_peoples_stamp(doctor, patient):
    """What a practitioner is trained for is kept under the people's stamp (the case export's
    practitioner block): every write to a training renews it, however it is written."""
    from segmenta.accounts.models import TrainingRecord

    def people():
        return PatientStamp.objects.get(clinic_id=stamps.PEOPLE[0], patient_id=stamps.PEOPLE[1]).token

    seen = [people()]
    record = TrainingRecord.objects.create(profile=doctor.profile, course="Basic", provider="Society",
                                           date="2020-01-01", hours=40, techniques=["wheal"])
    seen.append(people())
    run(f"UPDATE {TrainingRecord._meta.db_table} SET expiry = '2021-01-01' WHERE id = %s", [record.pk])
    seen.append(people())
    record.delete()
    seen.append(people())
    assert len(set(seen)) == len(seen)
    patient_before = token(patient)
    TrainingRecord.objects.create(profile=doctor.profile, course="Again", provider="Society",
                                  date="2020-01-01", hours=40, techniques=["scar"])
    assert token(patient) == patient_before  # no patient's data
