from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from segmenta.audit.models import AuditEvent
from segmenta.conftest import PASSWORD, add_totp, current_code


def login(client, username, password=PASSWORD, next_url=""):
    url = reverse("accounts:login") + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"username": username, "password": password, "next": next_url})


def test_password_alone_leads_to_the_second_factor_step(doctor, patient):
    add_totp(doctor)
    client = Client()
    response = login(client, "doctor")
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:mfa"))
    # Patient pages stay closed until the code is entered.
    response = client.get(reverse("patients:detail", args=[patient.pk]))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:mfa"))


def test_correct_totp_code_opens_the_app(doctor, patient):
    device = add_totp(doctor)
    client = Client()
    login(client, "doctor")
    response = client.post(reverse("accounts:mfa"), {"otp_token": current_code(device)})
    assert response.status_code == 302
    assert client.get(reverse("patients:detail", args=[patient.pk])).status_code == 200
    assert AuditEvent.objects.filter(action="mfa_verified", username="doctor").exists()


def test_wrong_totp_code_is_refused_and_audited(doctor, patient):
    device = add_totp(doctor)
    client = Client()
    login(client, "doctor")
    wrong = "000000" if current_code(device) != "000000" else "111111"
    response = client.post(reverse("accounts:mfa"), {"otp_token": wrong})
    assert response.status_code == 200
    assert b"not correct" in response.content
    assert AuditEvent.objects.filter(action="mfa_failed", username="doctor").exists()
    assert client.get(reverse("patients:list")).status_code == 302


def test_malformed_totp_code_names_the_problem(doctor):
    add_totp(doctor)
    client = Client()
    login(client, "doctor")
    response = client.post(reverse("accounts:mfa"), {"otp_token": "12ab"})
    assert b"six digits" in response.content


def test_first_login_enrols_an_authenticator(doctor):
    client = Client()
    login(client, "doctor")
    page = client.get(reverse("accounts:mfa"))
    assert page.status_code == 200
    assert b"<svg" in page.content  # the QR code
    device = TOTPDevice.objects.get(user=doctor)
    assert device.confirmed is False
    client.post(reverse("accounts:mfa"), {"otp_token": current_code(device)})
    device.refresh_from_db()
    assert device.confirmed is True
    assert AuditEvent.objects.filter(action="mfa_enrolled", username="doctor").exists()
    assert client.get(reverse("patients:list")).status_code == 200


def test_without_required_mfa_a_password_is_enough(settings, doctor):
    settings.SEGMENTA_REQUIRE_MFA = False
    client = Client()
    response = login(client, "doctor")
    assert response.url == reverse("patients:list")
    assert client.get(reverse("patients:list")).status_code == 200


def test_wrong_password_says_nothing_about_which_part_was_wrong(doctor):
    client = Client()
    unknown_user = login(client, "nobody", "whatever-password")
    wrong_password = login(client, "doctor", "not-the-password")
    assert unknown_user.status_code == wrong_password.status_code == 200
    assert b"Username or password is not correct." in unknown_user.content
    assert b"Username or password is not correct." in wrong_password.content


def test_login_logout_and_failed_login_are_audited(doctor):
    add_totp(doctor)
    client = Client(REMOTE_ADDR="10.1.2.3")
    login(client, "doctor", "wrong-password")
    failed = AuditEvent.objects.get(action="login_failed")
    assert failed.username == "doctor" and failed.source_ip == "10.1.2.3"
    login(client, "doctor")
    assert AuditEvent.objects.filter(action="login", user=doctor).exists()
    client.post(reverse("accounts:logout"))
    assert AuditEvent.objects.filter(action="logout", user=doctor).exists()


def test_logout_needs_post(doctor_client):
    assert doctor_client.get(reverse("accounts:logout")).status_code == 405


def test_next_parameter_cannot_send_the_user_elsewhere(settings, doctor):
    settings.SEGMENTA_REQUIRE_MFA = False
    response = login(Client(), "doctor", next_url="https://evil.example/")
    assert response.url == reverse("patients:list")
