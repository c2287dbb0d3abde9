import time

from django.urls import reverse

from segmenta.audit.models import AuditEvent
from segmenta.conftest import PASSWORD, current_code
from django_otp.plugins.otp_totp.models import TOTPDevice


def test_export_asks_for_the_password_again(doctor_client, patient):
    response = doctor_client.get(reverse("patients:export"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:reauth"))
    assert not AuditEvent.objects.filter(action="export").exists()


def test_reauthentication_unlocks_the_export(doctor, doctor_client, patient):
    device = TOTPDevice.objects.get(user=doctor)
    response = doctor_client.post(
        reverse("accounts:reauth") + "?next=" + reverse("patients:export"),
        {"password": PASSWORD, "otp_token": current_code(device), "next": reverse("patients:export")},
    )
    assert response.status_code == 302 and response.url == reverse("patients:export")
    export = doctor_client.get(reverse("patients:export"))
    assert export.status_code == 200
    assert AuditEvent.objects.filter(action="reauth", user=doctor).exists()


def test_reauthentication_needs_the_current_totp_code(doctor, doctor_client):
    response = doctor_client.post(reverse("accounts:reauth"), {"password": PASSWORD, "otp_token": ""})
    assert response.status_code == 200
    assert b"not correct" in response.content
    assert "reauth_at" not in doctor_client.session


def test_wrong_password_does_not_reauthenticate(doctor, doctor_client):
    device = TOTPDevice.objects.get(user=doctor)
    response = doctor_client.post(reverse("accounts:reauth"),
                                  {"password": "wrong-password", "otp_token": current_code(device)})
    assert response.status_code == 200
    assert "reauth_at" not in doctor_client.session
    assert AuditEvent.objects.filter(action="reauth_failed", username="doctor").exists()


def test_reauthentication_expires(settings, doctor_client, patient):
    session = doctor_client.session
    session["reauth_at"] = time.time() - settings.SEGMENTA_REAUTH_WINDOW.total_seconds() - 1
    session.save()
    assert doctor_client.get(reverse("patients:export")).status_code == 302


def test_user_management_asks_for_reauthentication(admin_client):
    response = admin_client.get(reverse("accounts:members"))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:reauth"))
