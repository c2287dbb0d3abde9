"""The patient list and the patient read write each patient's JSON once and keep it under
every value it is written from: the answers are what django-ninja would write, and no
change of any value a patient's JSON shows is ever answered with the JSON of before."""

import json
from datetime import date, datetime, timezone

import pytest
from django.db import connection
from django.urls import reverse
from ninja.responses import NinjaJSONEncoder

from segmenta.accounts.models import Clinic
from segmenta.api import patients as api_patients
from segmenta.conftest import make_patient
from segmenta.patients.kept import Kept
from segmenta.patients.models import Patient


@pytest.fixture
def kept(monkeypatch):
    store = Kept(100)
    monkeypatch.setattr(api_patients, "_PATIENT_JSON", store)
    return store


def ninja_writes(data):
    return json.dumps(data, cls=NinjaJSONEncoder)


def test_answers_are_what_django_ninja_writes(api_client, clinic, kept):
    for i in range(3):
        make_patient(clinic, family=f"Name{i}", record_number=f"R{i}", phone="+49 30 1", email="a@example.org")
    shown = list(Patient.objects.with_clinic_name().order_by("name_key", "id"))
    page = api_patients.PagedPatientOut.model_validate({"items": shown, "count": 3})
    for _ in range(2):  # written, then kept
        listing = api_client.get(reverse("api:list_patients"))
        assert listing.content.decode() == ninja_writes(page.model_dump())
        assert listing["Content-Type"] == "application/json; charset=utf-8"
        one = api_client.get(reverse("api:read_patient", args=[shown[1].pk]))
        expected = api_patients.PatientOut.model_validate(Patient.objects.select_related("clinic").get(pk=shown[1].pk))
        assert one.content.decode() == ninja_writes(expected.model_dump())
    assert len(kept._values) == 3  # one JSON per patient, for the list and the read alike


def test_a_page_that_is_not_full_and_an_empty_page(api_client, clinic, kept):
    for i in range(3):
        make_patient(clinic, family=f"P{i}")
    body = api_client.get(reverse("api:list_patients") + "?limit=2&offset=2").content.decode()
    assert json.loads(body)["count"] == 3 and body.endswith('], "count": 3}')
    empty = api_client.get(reverse("api:list_patients") + "?limit=2&offset=5").content.decode()
    assert empty == '{"items": [], "count": 3}'


@pytest.mark.parametrize("field,value,shown", [
    ("family_name", "Zeller", "Zeller"),
    ("given_name", "Ida", "Ida"),
    ("record_number", "K-9", "K-9"),
    ("birth_date", date(1981, 5, 6), "1981-05-06"),
    ("sex", "male", "male"),
    ("language", "es", "es"),
    ("phone", "+34 91 000", "+34 91 000"),
    ("email", "neu@example.org", "neu@example.org"),
    ("created_at", datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone.utc), "2020-01-02T03:04:05Z"),
    ("updated_at", datetime(2021, 1, 2, 3, 4, 5, tzinfo=timezone.utc), "2021-01-02T03:04:05Z"),
    ("restricted_at", datetime(2022, 1, 2, 3, 4, 5, tzinfo=timezone.utc), "2022-01-02T03:04:05Z"),
])
def test_a_change_of_any_value_is_answered_at_once(api_client, clinic, kept, field, value, shown):
    patient = make_patient(clinic)
    listing, read = reverse("api:list_patients"), reverse("api:read_patient", args=[patient.pk])
    assert api_client.get(listing).json()["items"][0][field] != shown
    assert api_client.get(read).json()[field] != shown
    # update(): no signal, no save(), and updated_at stays as it was unless it is the change.
    Patient.objects.filter(pk=patient.pk).update(**{field: value})
    assert api_client.get(listing).json()["items"][0][field] == shown
    assert api_client.get(read).json()[field] == shown


def test_a_change_in_plain_sql_and_a_renamed_clinic(api_client, clinic, kept):
    patient = make_patient(clinic)
    listing, read = reverse("api:list_patients"), reverse("api:read_patient", args=[patient.pk])
    api_client.get(listing), api_client.get(read)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {Patient._meta.db_table} SET phone = %s WHERE id = %s", ["+49 40 7", patient.pk])
    Clinic.objects.filter(pk=clinic.pk).update(name="Praxis am Hafen")
    for url in (listing, read):
        body = api_client.get(url).json()
        one = body["items"][0] if "items" in body else body
        assert (one["phone"], one["clinic_name"]) == ("+49 40 7", "Praxis am Hafen")


def test_every_field_of_the_answer_is_in_the_key():
    # A field added to PatientOut is read for the key as the answer reads it; one the key
    # left out would be answered stale after it changed.
    assert len(api_patients._READERS) == len(api_patients.PatientOut.model_fields)
    patient = Patient(id=7, clinic_id=3, family_name="A", given_name="B", birth_date=date(1970, 1, 2), sex="female",
                      language="de", record_number="", phone="", email="",
                      created_at=datetime(2020, 1, 1, tzinfo=timezone.utc), updated_at=datetime(2020, 1, 2, tzinfo=timezone.utc))
    patient.clinic_name = "Praxis"
    key = api_patients._written_from(patient)
    assert key[:3] == (7, 3, "Praxis")
    assert {name: value for name, value in zip(api_patients.PatientOut.model_fields, key)} == {
        name: getattr(api_patients.PatientOut.model_validate(patient), name)
        for name in api_patients.PatientOut.model_fields}


def test_a_patient_listed_before_is_not_made_again(api_client, clinic, kept, monkeypatch):
    """The list keeps each patient's JSON under its row as the database returns it: a row seen
    before is answered without making the patient or writing its JSON, and a changed row
    (even in a column the answer does not show) is made anew."""
    from segmenta import prepared
    from segmenta.patients import models

    make_patient(clinic, family="Abel")
    second = make_patient(clinic, family="Bauer")
    made, written = [], []
    real_made, real_write = prepared.Prepared.made, api_patients._write

    def counted_made(self, rows, using="default"):
        if self is models._visible_patients:
            made.extend(row[self.column("id")] for row in rows)
        return real_made(self, rows, using=using)

    monkeypatch.setattr(prepared.Prepared, "made", counted_made)
    monkeypatch.setattr(api_patients, "_write", lambda request, patient: written.append(patient.pk) or
                        real_write(request, patient))
    listing = reverse("api:list_patients")
    before = api_client.get(listing).content
    ids = sorted(Patient.objects.values_list("pk", flat=True))
    assert sorted(made) == sorted(written) == ids  # each patient made and written once
    made.clear(), written.clear()
    assert api_client.get(listing).content == before
    assert made == written == []
    Patient.objects.filter(pk=second.pk).update(address="Hafenstraße 1")  # not shown, but a new row
    assert api_client.get(listing).content == before
    assert made == written == [second.pk]


def test_a_patient_read_records_the_event_it_recorded_before(api_client, clinic, doctor, kept):
    """The read takes the patient's row, not the patient, and records from the row's ids the
    event that record(patient=…, obj=…) wrote: the same fields, so the same hash."""
    from segmenta.audit.models import AuditEvent
    from segmenta.audit.trail import record

    patient = make_patient(clinic)
    api_client.get(reverse("api:read_patient", args=[patient.pk]), REMOTE_ADDR="10.1.2.3")
    got = AuditEvent.objects.order_by("-id").first()
    expected = record("view", user=doctor, patient=patient, obj=patient, detail={"api": True})
    fields = ["user_id", "username", "clinic_id", "patient_id", "action", "object_type", "object_id", "detail"]
    assert [getattr(got, f) for f in fields] == [getattr(expected, f) for f in fields]
    assert (got.object_type, got.object_id, got.patient_id) == ("patient", str(patient.pk), patient.pk)
    assert got.compute_hash() == got.hash
