import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from segmenta.accounts.models import PractitionerProfile, TrainingRecord
from segmenta.audit.models import AuditEvent
from segmenta.conftest import login_verified

PDF = b"%PDF-1.4\n% test certificate\n"


def add_record(client, **overrides):
    data = {"course": "Basic course", "provider": "Society", "date": "2020-05-01", "hours": "40",
            "techniques": ["wheal", "scar", "stellate"],
            "certificate": SimpleUploadedFile("cert.pdf", PDF, content_type="application/pdf")}
    data.update(overrides)
    return client.post(reverse("accounts:training_add"), data)


def test_a_practitioner_cannot_set_their_own_profession_licence_or_jurisdiction(assistant):
    """An assistant without a profession tried to make themselves a physician here."""
    client = login_verified(Client(), assistant)
    response = client.post(reverse("accounts:profile"), {
        "profession": "physician", "licence_number": "ZA-123", "licence_jurisdiction": "DE"})
    assert response.status_code == 405
    assistant.profile.refresh_from_db()
    assert (assistant.profile.profession, assistant.profile.licence_number,
            assistant.profile.licence_jurisdiction) == ("", "", "")
    assert assistant.profile.verified_at is None
    assert not AuditEvent.objects.filter(object_type="practitionerprofile").exists()


def test_profile_shows_who_verified_the_profession_and_when(doctor, doctor_client, admin_user):
    profile = doctor.profile
    profile.set_licence(admin_user, profession="physician", licence_number="LÄK-4711", licence_jurisdiction="DE")
    profile.save()
    admin_user.first_name, admin_user.last_name = "Anna", "Admin"
    admin_user.save()
    html = doctor_client.get(reverse("accounts:profile")).content.decode()
    assert f"verified by Anna Admin on {timezone.localtime(profile.verified_at):%Y-%m-%d}" in html
    assert "LÄK-4711" in html
    assert 'name="profession"' not in html and 'name="licence_number"' not in html
    assert "treats it as unknown" not in html


def test_an_unverified_profession_is_shown_as_unknown_to_the_safety_check(doctor, doctor_client):
    PractitionerProfile.objects.filter(user=doctor).update(verified_at=None)
    html = doctor_client.get(reverse("accounts:profile")).content.decode()
    assert "not verified: ask your clinic admin" in html
    assert "the safety check treats it as unknown: ganglion and deep injections are blocked" in html


def test_what_an_unverified_profession_means_follows_the_clinics_knowledge_base(doctor, doctor_client, clinic):
    from segmenta.knowledge.models import ClinicOverride

    PractitionerProfile.objects.filter(user=doctor).update(verified_at=None)
    ClinicOverride.objects.create(clinic=clinic, kind="safety-rule", entry_id="unknown_profession",
                                  data={"deep_verdict": "warn"}, reason="test")
    html = doctor_client.get(reverse("accounts:profile")).content.decode()
    assert "ganglion and deep injections carry a warning" in html and "are blocked" not in html
    rule = reverse("knowledge:entry", args=["safety-rule", "unknown_profession"])
    assert rule in html


def test_a_missing_licence_jurisdiction_falls_back_to_the_clinics_or_says_unknown(doctor, doctor_client, clinic):
    assert "unknown" in _licence_facts(doctor_client)
    clinic.jurisdiction = "AT"
    clinic.save()
    assert "not recorded: your clinic's (AT) counts" in _licence_facts(doctor_client)


def _licence_facts(client):
    html = client.get(reverse("accounts:profile")).content.decode()
    start = html.index('<dl class="facts licence">')
    return html[start:html.index("</dl>", start)]


def test_profile_lists_the_techniques_training_covers_and_those_charted_with_a_warning(doctor_client):
    add_record(doctor_client, techniques=["stellate"])
    html = doctor_client.get(reverse("accounts:profile")).content.decode()
    covered = html[html.index('<span class="trained">'):]
    assert covered[:covered.index("</span>")].endswith(">Stellate ganglion")
    untrained = html[html.index('<details class="untrained">'):]
    untrained = untrained[:untrained.index("</details>")]
    assert "charted with a warning" in untrained and "Scar" in untrained and "Stellate" not in untrained


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


def test_removing_a_record_removes_its_certificate_file(doctor_client):
    add_record(doctor_client)
    item = TrainingRecord.objects.get()
    storage, name = item.certificate.storage, item.certificate.name
    assert storage.exists(name)
    doctor_client.post(reverse("accounts:training_delete", args=[item.pk]))
    assert not storage.exists(name)


def test_a_removal_that_fails_keeps_the_record_and_its_file(doctor_client, monkeypatch):
    """The file goes only after the delete committed: a rolled-back delete left a record
    whose certificate link led nowhere."""
    add_record(doctor_client)
    item = TrainingRecord.objects.get()
    storage, name = item.certificate.storage, item.certificate.name

    def failing_delete(self, *args, **kwargs):
        raise RuntimeError("the database refused")

    monkeypatch.setattr(TrainingRecord, "delete", failing_delete)
    with pytest.raises(RuntimeError):
        doctor_client.post(reverse("accounts:training_delete", args=[item.pk]))
    assert TrainingRecord.objects.filter(pk=item.pk).exists()
    assert storage.exists(name)


def test_a_record_whose_save_rolls_back_leaves_no_certificate_behind(doctor_client, settings, monkeypatch):
    def failing_record(*args, **kwargs):
        raise RuntimeError("the audit trail is unavailable")

    monkeypatch.setattr("segmenta.accounts.views.record", failing_record)
    with pytest.raises(RuntimeError):
        add_record(doctor_client)
    assert not TrainingRecord.objects.exists()
    folder = settings.MEDIA_ROOT / "certificates"
    assert not folder.exists() or not [p for p in folder.rglob("*") if p.is_file()]
