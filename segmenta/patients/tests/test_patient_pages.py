import time

from django.urls import reverse

from segmenta.accounts.models import Membership
from segmenta.audit.models import AuditEvent
from segmenta.conftest import make_patient
from segmenta.patients.models import Patient

VALID = {"family_name": "Berger", "given_name": "Claudia", "birth_date": "1968-03-12", "sex": "female",
         "record_number": "A-1", "phone": "", "email": ""}


def test_practitioner_adds_a_patient_to_their_clinic(doctor_client, clinic):
    response = doctor_client.post(reverse("patients:create"), VALID)
    patient = Patient.objects.get()
    assert response.url == reverse("patients:detail", args=[patient.pk])
    assert patient.clinic == clinic and patient.created_by.username == "doctor"
    event = AuditEvent.objects.get(action="create")
    assert (event.patient_id, event.clinic_id, event.username) == (patient.pk, clinic.pk, "doctor")


def test_bad_patient_form_names_each_field_and_saves_nothing(doctor_client):
    response = doctor_client.post(reverse("patients:create"), {
        **VALID, "family_name": "", "birth_date": "2999-01-01", "sex": "robot", "email": "not-an-email"})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"family_name", "birth_date", "sex", "email"}
    assert "lies in the future" in str(response.context["form"].errors["birth_date"])
    assert not Patient.objects.exists()
    assert not AuditEvent.objects.filter(action="create").exists()


def test_record_number_is_unique_within_a_clinic(doctor_client, clinic):
    make_patient(clinic, record_number="A-1")
    response = doctor_client.post(reverse("patients:create"), VALID)
    assert response.status_code == 400 and "record_number" in response.context["form"].errors


def test_member_of_two_clinics_chooses_the_clinic(doctor, doctor_client, other_clinic):
    Membership.objects.create(user=doctor, clinic=other_clinic, role="practitioner")
    response = doctor_client.post(reverse("patients:create"), VALID)
    assert response.status_code == 400 and "clinic" in response.context["form"].errors
    doctor_client.post(reverse("patients:create"), {**VALID, "clinic": other_clinic.pk})
    assert Patient.objects.get().clinic == other_clinic


def test_editing_a_patient_records_the_changed_fields(doctor_client, patient):
    doctor_client.post(reverse("patients:edit", args=[patient.pk]), {
        **VALID, "family_name": "Neumann", "record_number": ""})
    patient.refresh_from_db()
    assert patient.family_name == "Neumann"
    event = AuditEvent.objects.get(action="update")
    assert "family_name" in event.detail["fields"]


def test_viewing_a_chart_is_audited(doctor_client, patient):
    doctor_client.get(reverse("patients:detail", args=[patient.pk]), REMOTE_ADDR="10.0.0.7")
    event = AuditEvent.objects.get(action="view", patient=patient)
    assert (event.username, event.source_ip, event.object_type) == ("doctor", "10.0.0.7", "patient")


def test_search_finds_by_name_and_record_number(doctor_client, clinic):
    make_patient(clinic, family="Hoffmann", given="Lukas", record_number="D-7")
    make_patient(clinic, family="Yilmaz", given="Elif")
    by_name = doctor_client.get(reverse("patients:list") + "?q=hoff").content.decode()
    by_number = doctor_client.get(reverse("patients:list") + "?q=D-7").content.decode()
    assert "Hoffmann" in by_name and "Yilmaz" not in by_name
    assert "Hoffmann" in by_number and "Yilmaz" not in by_number


def test_export_is_audited_and_neutralises_formulas(doctor_client, clinic):
    make_patient(clinic, family="=HYPERLINK(\"x\")", given="Eve")
    session = doctor_client.session
    session["reauth_at"] = time.time()
    session.save()
    response = doctor_client.get(reverse("patients:export"))
    assert response["Content-Disposition"].startswith("attachment;")
    assert "'=HYPERLINK" in response.content.decode()
    event = AuditEvent.objects.get(action="export")
    assert event.detail == {"format": "csv", "patients": 1}


def test_oversize_form_is_refused_and_saves_nothing(settings, doctor_client):
    response = doctor_client.post(reverse("patients:create"), {
        **VALID, "family_name": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    assert response.status_code == 400
    assert not Patient.objects.exists()


def test_unknown_patient_page_is_404(doctor_client):
    assert doctor_client.get(reverse("patients:detail", args=[424242])).status_code == 404
    assert doctor_client.get("/patients/abc/").status_code == 404
