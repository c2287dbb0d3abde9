from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from segmenta.accounts.models import TrainingRecord
from segmenta.audit.models import AuditEvent
from segmenta.conftest import login_verified

PDF = b"%PDF-1.4\n% test certificate\n"


def add_record(client, **overrides):
    data = {"course": "Basic course", "provider": "Society", "date": "2020-05-01", "hours": "40",
            "techniques": ["wheal", "scar", "stellate"],
            "certificate": SimpleUploadedFile("cert.pdf", PDF, content_type="application/pdf")}
    data.update(overrides)
    return client.post(reverse("accounts:training_add"), data)


def test_practitioner_records_profession_licence_and_jurisdiction(doctor, doctor_client):
    response = doctor_client.post(reverse("accounts:profile"), {
        "profession": "dentist", "licence_number": "ZA-123", "licence_jurisdiction": "Bavaria"})
    assert response.status_code == 302
    doctor.profile.refresh_from_db()
    assert (doctor.profile.profession, doctor.profile.licence_number, doctor.profile.licence_jurisdiction) == (
        "dentist", "ZA-123", "Bavaria")


def test_training_record_keeps_course_hours_techniques_and_certificate(doctor, doctor_client):
    assert add_record(doctor_client).status_code == 302
    item = TrainingRecord.objects.get()
    assert item.techniques == ["wheal", "scar", "stellate"]
    assert str(item.hours) == "40.0"
    assert item.certificate.read() == PDF
    assert doctor.profile.trained_techniques() == ["scar", "stellate", "wheal"]
    assert AuditEvent.objects.filter(action="create", object_type="trainingrecord").exists()


def test_unknown_technique_and_bad_hours_are_named(doctor_client):
    response = add_record(doctor_client, techniques=["laser"], hours="-3")
    assert response.status_code == 400
    assert set(response.context["training_form"].errors) == {"techniques", "hours"}
    assert not TrainingRecord.objects.exists()


def test_certificate_must_be_a_pdf_or_image(doctor_client):
    response = add_record(doctor_client, certificate=SimpleUploadedFile("x.exe", b"MZ"))
    assert "certificate" in response.context["training_form"].errors


def test_certificate_is_served_to_its_owner_and_clinic_admin_only(doctor, doctor_client, admin_user, outsider):
    add_record(doctor_client)
    url = reverse("accounts:certificate", args=[TrainingRecord.objects.get().pk])
    assert b"".join(doctor_client.get(url).streaming_content) == PDF
    assert login_verified(Client(), admin_user).get(url).status_code == 200
    assert login_verified(Client(), outsider).get(url).status_code == 404


def test_removing_a_record_is_audited(doctor_client):
    add_record(doctor_client)
    item = TrainingRecord.objects.get()
    doctor_client.post(reverse("accounts:training_delete", args=[item.pk]))
    assert not TrainingRecord.objects.exists()
    assert AuditEvent.objects.filter(action="delete", object_type="trainingrecord").exists()


def test_oversize_certificate_is_refused(settings, doctor_client):
    settings.SEGMENTA_MAX_UPLOAD_BYTES = 1000
    response = add_record(doctor_client, certificate=SimpleUploadedFile("big.pdf", b"%PDF" + b"x" * 2000))
    assert "certificate" in response.context["training_form"].errors
    assert not TrainingRecord.objects.exists()
