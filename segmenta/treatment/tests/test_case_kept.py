"""The case export keeps a patient's case between requests under the patient's stamp
(segmenta/treatment/case.py ``stored_case``): the next export after any change shows it."""

import datetime
from datetime import timezone as dt_timezone

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from segmenta.accounts.models import ApiToken
from segmenta.conftest import make_user
from segmenta.patients import models as m
from segmenta.patients import stamps
from segmenta.treatment.case import patient_case, stored_case, with_case_lists

pytestmark = pytest.mark.django_db


def export(client, patient):
    response = client.get(f"/api/v1/patients/{patient.pk}/case")
    assert response.status_code == 200, response.content
    return response.json()


def fresh(patient):
    return patient_case(with_case_lists(m.Patient.objects.get(pk=patient.pk)))


def test_a_kept_case_is_the_case_and_costs_fewer_queries(patient, doctor, api_client):
    m.Allergy.objects.create(patient=patient, substance="latex", allergy_class="other")
    m.HistoryItem.objects.create(patient=patient, kind="tooth", tooth="38", description="Extraction", date="1998")
    with CaptureQueriesContext(connection) as first:
        built = export(api_client, patient)
    with CaptureQueriesContext(connection) as second:
        kept = export(api_client, patient)
    assert kept == built
    assert {k: v for k, v in kept.items() if k != "practitioner"} == fresh(patient)
    assert len(second) <= len(first) - 10


def test_every_kind_of_write_shows_in_the_next_export(patient, doctor, api_client):
    export(api_client, patient)
    allergy = m.Allergy.objects.create(patient=patient, substance="latex", allergy_class="other")
    assert [a["substance"] for a in export(api_client, patient)["patient"]["allergies"]] == ["latex"]
    m.Allergy.objects.filter(pk=allergy.pk).update(substance="nickel")  # no save(), no signal
    assert [a["substance"] for a in export(api_client, patient)["patient"]["allergies"]] == ["nickel"]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE patients_patient SET sex = 'male' WHERE id = %s", [patient.pk])
    assert export(api_client, patient)["patient"]["sex"] == "male"
    response = api_client.post(f"/api/v1/patients/{patient.pk}/weights", {"date": "2026-11-01", "weight_kg": 70},
                               content_type="application/json")
    assert response.status_code == 201, response.content
    assert export(api_client, patient)["patient"]["weight_kg"] == 70
    assert export(api_client, patient) == {**fresh(patient), "practitioner": export(api_client, patient)["practitioner"]}


def test_a_patient_read_before_a_change_gets_the_case_after_it(patient):
    stale = m.Patient.objects.get(pk=patient.pk)
    assert stored_case(stale)["patient"]["sex"] == "female"
    m.Patient.objects.filter(pk=patient.pk).update(sex="male")
    assert stale.sex == "female"
    assert stored_case(stale)["patient"]["sex"] == "male"


def test_each_caller_gets_its_own_practitioner(patient, doctor, clinic, api_client):
    other = make_user("nurse", clinic, "practitioner", "nurse")
    _token, raw = ApiToken.issue(other, "tests")
    from django.test import Client

    theirs = export(Client(HTTP_AUTHORIZATION=f"Bearer {raw}"), patient)
    mine = export(api_client, patient)
    assert mine["practitioner"] == doctor.profile.case_practitioner(clinic)
    assert theirs["practitioner"] == other.profile.case_practitioner(clinic)
    assert mine["practitioner"] != theirs["practitioner"]
    # The kept case itself names no practitioner.
    assert "practitioner" not in stored_case(patient)


def test_a_kept_case_follows_the_time_zone(patient, settings):
    m.Medication.objects.create(patient=patient, name="apixaban", medication_class="anticoagulant",
                                last_dose=datetime.datetime(2026, 11, 24, 19, 0, tzinfo=dt_timezone.utc))
    with timezone.override("Europe/Berlin"):
        assert stored_case(patient)["patient"]["medications"][0]["last_dose"] == "2026-11-24T20:00+01:00"
    with timezone.override("America/New_York"):
        assert stored_case(patient)["patient"]["medications"][0]["last_dose"] == "2026-11-24T14:00-05:00"


def test_a_kept_case_follows_the_day(patient, monkeypatch):
    """A date more than a year ahead is left out of the case; as the days pass it comes in."""
    m.Consent.objects.create(patient=patient, date="2026-01-01", scope="x", method="signature",
                             signature_svg="M1 1L2 2", scopes=["injection_therapy"])
    today = timezone.localdate()
    ahead = today + datetime.timedelta(days=400)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE patients_consent SET date = %s WHERE patient_id = %s", [ahead, patient.pk])
    assert "date" not in stored_case(patient)["consent"]
    later = today + datetime.timedelta(days=60)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: later)
    assert stored_case(patient)["consent"]["date"] == ahead.isoformat()


def test_without_its_triggers_nothing_is_kept(patient):
    table = m.Allergy._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER {stamps.PREFIX}{table}_insert"
                       + (f" ON {table}" if connection.vendor == "postgresql" else ""))
    connection.segmenta_stamps_live = None
    patient = m.Patient.objects.get(pk=patient.pk)
    try:
        stored_case(patient)
        # Written without its version (whose table's trigger would still renew the stamp), so
        # only the check that every trigger is there keeps the case from being the old one.
        m.Allergy.objects.bulk_create([m.Allergy(patient=patient, clinic_id=patient.clinic_id, substance="latex",
                                                 allergy_class="other")])
        assert [a["substance"] for a in stored_case(patient)["patient"]["allergies"]] == ["latex"]
    finally:
        stamps.install(connection)
