import csv
import io
import time

import pyarrow.parquet as pq
from django.urls import reverse

from segmenta.audit.models import AuditEvent
from segmenta.conftest import make_patient
from segmenta.patients import models as pm

from .test_summary import course


def sudo(client):
    session = client.session
    session["reauth_at"] = time.time()
    session.save()
    return client


def test_export_needs_reauthentication(doctor_client):
    response = doctor_client.get(reverse("outcomes:research_export", args=["csv"]))
    assert response.status_code == 302 and "/accounts/reauth/" in response.url


def test_csv_holds_no_names_contact_or_free_text_and_shifts_dates_per_patient(doctor_client, clinic):
    patient = make_patient(clinic, family="Geheim", given="Greta", phone="+49 111", email="greta@example.org")
    complaint = course(patient, "shoulder", [8, 5])
    complaint.description = "Schmerzen seit dem Unfall bei Firma Müller"
    complaint.save()
    content = sudo(doctor_client).get(reverse("outcomes:research_export", args=["csv"])).content.decode()
    for secret in ("Geheim", "Greta", "+49 111", "greta@example.org", "Unfall", "Müller"):
        assert secret not in content
    rows = list(csv.DictReader(io.StringIO(content)))
    assert {r["patient"] for r in rows} != {str(patient.pk)} and len(rows[0]["patient"]) == 12
    assert [r["nrs_before"] for r in rows] == ["8", "5"]
    dates = [r["session_date"] for r in rows]
    assert dates != ["2026-01-01", "2026-02-01"]
    from datetime import date

    assert (date.fromisoformat(dates[1]) - date.fromisoformat(dates[0])).days == 31  # intervals stay true
    assert AuditEvent.objects.filter(action="export", object_type="research_export").exists()


def test_parquet_has_the_same_rows(doctor_client, patient):
    course(patient, "knee", [6, 3, 2], target="wheal")
    content = sudo(doctor_client).get(reverse("outcomes:research_export", args=["parquet"])).content
    table = pq.read_table(io.BytesIO(content))
    assert table.num_rows == 3 and table.column("targets").to_pylist() == ["wheal"] * 3


def test_assistants_cannot_export(client, assistant):
    from segmenta.conftest import login_verified

    response = sudo(login_verified(client, assistant)).get(reverse("outcomes:research_export", args=["csv"]))
    assert response.status_code == 404


def test_red_flags_stay_but_descriptions_go(doctor_client, patient):
    complaint = pm.Complaint.objects.create(patient=patient, description="private words",
                                            findings=["night_pain"], regions=[{"choir": 218, "side": "left"}])
    from segmenta.treatment.models import ComplaintScore, Session

    for day, value in ((1, 7), (2, 4)):
        session = Session.objects.create(patient=patient, started_at=f"2026-03-0{day}T10:00:00+00:00")
        ComplaintScore.objects.create(session=session, complaint=complaint, pre_nrs=value)
    content = sudo(doctor_client).get(reverse("outcomes:research_export", args=["csv"])).content.decode()
    assert "night_pain" in content and "choir:218" in content and "private words" not in content
