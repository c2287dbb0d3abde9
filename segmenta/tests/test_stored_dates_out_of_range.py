"""Dates stored before the app refused them: a year-1 session or adverse event (on
PostgreSQL a BC timestamp, from year 1 at +14:00) no longer answers 500 on the chart, the
case, the assessment, the session or the research export; `segmenta dates check` lists each
such row (exit 1) without changing it, and a clinician corrects it through the normal form,
which opens with the bad value shown."""

import io
import json
import logging

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

from segmenta import caseformat
from segmenta.api.tests.test_date_and_shape_bounds import everything_opens
from segmenta.conftest import complete_chart
from segmenta.patients import models as pm
from segmenta.treatment.models import AdverseEvent, Session

POSTGRESQL = connection.vendor == "postgresql"
# Year 1 as the probe stored it: PostgreSQL keeps +14:00 as 1 BC in UTC; SQLite keeps the text.
YEAR_ONE_AT = "0001-01-01 00:00:00+14:00" if POSTGRESQL else "0001-01-01 00:00:00"
YEAR_ONE = "0001-01-01 BC" if POSTGRESQL else "0001-01-01"


def store_behind_the_apps_back(model, field, pk, value):
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {model._meta.db_table} SET {field} = %s WHERE id = %s", [value, pk])


def dates_check(*args):
    out = io.StringIO()
    try:
        call_command("dates", "check", *args, stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue(), str(error)
    return 0, out.getvalue(), ""


@pytest.fixture
def year_one_session(patient, doctor):
    session = Session.objects.create(patient=patient, started_at="2026-11-25T10:00:00+01:00", practitioner=doctor)
    event = AdverseEvent.objects.create(session=session, kind="vasovagal", occurred_at="2026-11-25T10:05:00+01:00")
    store_behind_the_apps_back(Session, "started_at", session.pk, YEAR_ONE_AT)
    store_behind_the_apps_back(AdverseEvent, "occurred_at", event.pk, YEAR_ONE_AT)
    return session, event


def test_a_year_one_session_and_adverse_event_leave_every_page_open(doctor_client, api_client, patient,
                                                                    year_one_session):
    session, event = year_one_session
    everything_opens(doctor_client, api_client, patient)  # chart, case, assessment, research export
    assert doctor_client.get(reverse("treatment:session", args=[session.pk])).status_code == 200
    assert api_client.get(reverse("api:read_session", args=[session.pk])).status_code == 200
    assert doctor_client.get(reverse("treatment:event_report_csv", args=[event.pk])).status_code == 200


def test_dates_check_lists_each_row_and_changes_nothing(db, patient, year_one_session):
    session, event = year_one_session
    code, out, message = dates_check()
    assert code == 1 and "2 stored date(s) outside the clinical range" in message
    lines = out.splitlines()
    assert any(line.startswith(f"treatment.session {session.pk}  started_at = ") and f"patient {patient.pk}" in line
               for line in lines)
    assert any(line.startswith(f"treatment.adverseevent {event.pk}  occurred_at = ")
               and f"patient {patient.pk}" in line for line in lines)
    if POSTGRESQL:
        assert all(line.endswith(f"BC  patient {patient.pk}") for line in lines)
    with connection.cursor() as cursor:
        cursor.execute("SELECT started_at < '1900-01-01' FROM treatment_session WHERE id = %s", [session.pk])
        assert cursor.fetchone() == (True,)
    code, out, _ = dates_check("--json")
    assert code == 1 and {(row["model"], row["id"], row["field"]) for row in json.loads(out)} == {
        ("treatment.session", session.pk, "started_at"), ("treatment.adverseevent", event.pk, "occurred_at")}


def test_dates_check_passes_when_every_date_is_sane(db, patient, doctor):
    Session.objects.create(patient=patient, started_at="2026-11-25T10:00:00+01:00", practitioner=doctor)
    code, out, _ = dates_check()
    assert code == 0 and out.startswith("dates OK")


def test_a_year_one_weight_opens_in_its_form_and_is_corrected_there(doctor_client, patient):
    weight = pm.WeightMeasurement.objects.create(patient=patient, date="2026-11-01", weight_kg=62)
    store_behind_the_apps_back(pm.WeightMeasurement, "date", weight.pk, YEAR_ONE)
    assert dates_check()[0] == 1
    url = reverse("patients:item_edit", args=[patient.pk, "weights", weight.pk])
    page = doctor_client.get(url)
    assert page.status_code == 200
    # Shown as stored, with a four-digit year a browser's date input accepts ("1-01-01" it
    # would take for no date, open blank and clear on saving).
    assert 'name="date" value="0001-01-01"' in page.content.decode()
    refused = doctor_client.post(url, {"date": "0001-01-01", "weight_kg": "62"})
    assert refused.status_code == 400 and list(refused.context["form"].errors) == ["date"]
    corrected = doctor_client.post(url, {"date": "2026-11-01", "weight_kg": "62"})
    assert corrected.status_code == 302
    weight.refresh_from_db()
    assert str(weight.date) == "2026-11-01"
    assert dates_check()[0] == 0


def test_the_case_leaves_out_of_range_dates_out_with_a_warning(api_client, patient, doctor, caplog):
    complete_chart(patient, doctor)
    review = pm.ChartReview.objects.get(patient=patient, kind="medications")
    store_behind_the_apps_back(pm.ChartReview, "date", review.pk, YEAR_ONE)
    store_behind_the_apps_back(pm.Patient, "birth_date", patient.pk, YEAR_ONE)
    apixaban = pm.Medication.objects.create(patient=patient, name="Apixaban", medication_class="anticoagulant",
                                            last_dose="2026-11-20T08:00:00+01:00")
    store_behind_the_apps_back(pm.Medication, "last_dose", apixaban.pk, YEAR_ONE_AT)
    with caplog.at_level(logging.WARNING, logger="segmenta.treatment.case"):
        response = api_client.get(reverse("api:patient_case", args=[patient.pk]))
    assert response.status_code == 200
    case = response.json()
    assert caseformat.errors(case) == []
    # Unknown, not invented: the engines warn about an unknown age, an unreviewed list and
    # a blood thinner's unknown last dose.
    assert "birth_date" not in case["patient"]
    assert case["patient"]["reviewed"]["medications"] is None
    assert case["patient"]["reviewed"]["allergies"] is not None
    assert case["patient"]["medications"] == [{"name": "Apixaban", "class": "anticoagulant"}]
    warned = " ".join(record.getMessage() for record in caplog.records)
    assert f"patients.patient {patient.pk} birth_date" in warned and f"patients.chartreview {review.pk} date" in warned
    assert f"patients.medication {apixaban.pk} last_dose" in warned
    assert dates_check()[0] == 1


@pytest.mark.skipif(not POSTGRESQL, reason="only PostgreSQL stores years Python cannot hold")
def test_a_session_after_the_year_9999_opens_too(doctor_client, patient, doctor):
    session = Session.objects.create(patient=patient, started_at="2026-11-25T10:00:00+01:00", practitioner=doctor)
    store_behind_the_apps_back(Session, "started_at", session.pk, "10000-01-01 00:00:00+00")
    assert doctor_client.get(reverse("patients:detail", args=[patient.pk])).status_code == 200
    assert doctor_client.get(reverse("treatment:session", args=[session.pk])).status_code == 200
    code, out, _ = dates_check()
    assert code == 1 and f"treatment.session {session.pk}  started_at = 10000-01-01" in out


def test_a_year_one_birth_date_and_last_dose_open_in_their_forms(doctor_client, patient):
    store_behind_the_apps_back(pm.Patient, "birth_date", patient.pk, YEAR_ONE)
    page = doctor_client.get(reverse("patients:edit", args=[patient.pk]))
    assert page.status_code == 200 and 'name="birth_date" value="0001-01-01"' in page.content.decode()
    apixaban = pm.Medication.objects.create(patient=patient, name="Apixaban", medication_class="anticoagulant",
                                            last_dose="2026-11-20T08:00:00+01:00")
    store_behind_the_apps_back(pm.Medication, "last_dose", apixaban.pk, YEAR_ONE_AT)
    page = doctor_client.get(reverse("patients:item_edit", args=[patient.pk, "medications", apixaban.pk]))
    assert page.status_code == 200 and 'name="last_dose" value="0001-01-0' in page.content.decode()
