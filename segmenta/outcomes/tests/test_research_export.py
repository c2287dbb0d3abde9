"""The research export: pseudonymised rows of the patients whose current consent covers
research use, never of a restricted chart, behind the password again and audited."""

import csv
import io

import pyarrow.parquet as pq
from django.urls import reverse

from segmenta.audit.models import AuditEvent
from segmenta.conftest import make_patient, reauthenticated
from segmenta.outcomes.export import _key
from segmenta.patients import models as pm

from .test_summary import course


def consent(patient, on="2026-01-01", scopes=("injection_therapy", "research_use"), **extra):
    return pm.Consent.objects.create(patient=patient, date=on, scope="Neural therapy and research",
                                     scopes=list(scopes), method="signature", signature_svg="M 1 1 L 5 5", **extra)


def export(client):
    return reauthenticated(client).get(reverse("outcomes:research_export", args=["csv"]))


def exported_patients(client):
    return {row["patient"] for row in csv.DictReader(io.StringIO(export(client).content.decode()))}


def test_export_needs_reauthentication(doctor_client):
    response = doctor_client.get(reverse("outcomes:research_export", args=["csv"]))
    assert response.status_code == 302 and "/accounts/reauth/" in response.url


def test_csv_holds_no_names_contact_or_free_text_and_shifts_dates_per_patient(doctor_client, clinic):
    patient = make_patient(clinic, family="Geheim", given="Greta", phone="+49 111", email="greta@example.org")
    consent(patient)
    complaint = course(patient, "shoulder", [8, 5])
    complaint.description = "Schmerzen seit dem Unfall bei Firma Müller"
    complaint.save()
    content = reauthenticated(doctor_client).get(reverse("outcomes:research_export", args=["csv"])).content.decode()
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
    consent(patient)
    course(patient, "knee", [6, 3, 2], target="wheal")
    content = reauthenticated(doctor_client).get(reverse("outcomes:research_export", args=["parquet"])).content
    table = pq.read_table(io.BytesIO(content))
    assert table.num_rows == 3 and table.column("targets").to_pylist() == ["wheal"] * 3


def test_assistants_cannot_export(client, assistant):
    from segmenta.conftest import login_verified

    response = reauthenticated(login_verified(client, assistant)).get(reverse("outcomes:research_export", args=["csv"]))
    assert response.status_code == 404


def test_red_flags_stay_but_descriptions_go(doctor_client, patient):
    consent(patient)
    complaint = pm.Complaint.objects.create(patient=patient, description="private words",
                                            findings=["night_pain"], regions=[{"choir": 218, "side": "left"}])
    from segmenta.treatment.models import ComplaintScore, Session

    for day, value in ((1, 7), (2, 4)):
        session = Session.objects.create(patient=patient, started_at=f"2026-03-0{day}T10:00:00+00:00")
        ComplaintScore.objects.create(session=session, complaint=complaint, pre_nrs=value)
    content = reauthenticated(doctor_client).get(reverse("outcomes:research_export", args=["csv"])).content.decode()
    assert "night_pain" in content and "choir:218" in content and "private words" not in content


def test_only_patients_whose_consent_covers_research_use_are_exported(doctor_client, clinic):
    consenting, therapy_only, without = (make_patient(clinic, family=name) for name in ("Ja", "Nur", "Ohne"))
    consent(consenting)
    consent(therapy_only, scopes=["injection_therapy"])
    for patient in (consenting, therapy_only, without):
        course(patient, "knee", [6, 3])
    assert exported_patients(doctor_client) == {_key("patient", consenting.pk)}


def test_the_latest_consent_decides_and_a_withdrawn_or_refused_one_excludes(doctor_client, clinic):
    withdrawn, refused_later, given_later = (make_patient(clinic, family=name) for name in ("Zurück", "Nein", "Doch"))
    consent(withdrawn, withdrawn_on="2026-03-01", withdrawal_note="no more research")
    consent(refused_later)
    pm.Consent.objects.create(patient=refused_later, date="2026-05-01", scope="x", decision="refused")
    consent(given_later, scopes=["injection_therapy"])
    consent(given_later, on="2026-06-01")
    for patient in (withdrawn, refused_later, given_later):
        course(patient, "knee", [6, 3])
    assert exported_patients(doctor_client) == {_key("patient", given_later.pk)}


def test_a_consent_marked_entered_in_error_does_not_count(doctor_client, patient, doctor):
    from django.utils import timezone

    consent(patient, entered_in_error_at=timezone.now(), entered_in_error_by=doctor, error_reason="wrong patient")
    course(patient, "knee", [6, 3])
    assert exported_patients(doctor_client) == set()


def test_a_restricted_chart_is_never_exported(doctor_client, patient, admin_user):
    from segmenta.patients.restriction import restrict

    consent(patient)
    course(patient, "knee", [6, 3])
    restrict(patient, admin_user, "erasure request")
    assert exported_patients(doctor_client) == set()


def test_the_export_is_called_pseudonymised_in_its_file_name_page_and_audit(doctor_client, patient):
    response = export(doctor_client)
    assert 'filename="segmenta-research-pseudonymised-' in response["Content-Disposition"]
    event = AuditEvent.objects.get(action="export", object_type="research_export")
    assert event.detail["pseudonymised"] is True and event.detail["consent_scope"] == "research_use"
    page = doctor_client.get(reverse("outcomes:practice")).content.decode()
    assert "Pseudonymised research export" in page and "not anonymous" in page
    assert "anonymised" not in page.replace("Pseudonymised", "").replace("pseudonymised", "")
