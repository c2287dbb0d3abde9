"""Where `next=` may send someone after login, second factor or re-authentication: only a
path on this site. Anything else (a bare word, another host, a scheme) goes to the default
page instead of a 500 or an open redirect, and a login is audited only once it holds."""

import pytest
from django.test import Client
from django.urls import reverse

from segmenta.audit.models import AuditEvent
from segmenta.conftest import PASSWORD, add_totp, current_code, login_verified

UNSAFE = ["foo", "patients:list", "https://evil.example/", "//evil.example/", "/\\evil.example",
          "javascript:alert(1)", "http:/evil.example"]


@pytest.mark.parametrize("target", UNSAFE)
def test_login_post_with_an_unsafe_next_goes_to_the_patient_list(doctor, settings, target):
    settings.SEGMENTA_REQUIRE_MFA = False
    client = Client()
    response = client.post(reverse("accounts:login") + "?next=x",
                           {"username": "doctor", "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert response.url == reverse("patients:list")
    assert AuditEvent.objects.filter(action="login", username="doctor").count() == 1
    assert client.get(reverse("patients:list")).status_code == 200


@pytest.mark.parametrize("target", UNSAFE)
def test_login_page_while_logged_in_with_an_unsafe_next(doctor, target):
    client = login_verified(Client(), doctor)
    response = client.get(reverse("accounts:login"), {"next": target})
    assert response.status_code == 302
    assert response.url == reverse("patients:list")


def test_a_local_path_is_kept(doctor, settings):
    settings.SEGMENTA_REQUIRE_MFA = False
    client = Client()
    response = client.post(reverse("accounts:login"),
                           {"username": "doctor", "password": PASSWORD, "next": "/accounts/profile/?a=1"})
    assert response.status_code == 302 and response.url == "/accounts/profile/?a=1"


def test_second_factor_with_an_unsafe_next(doctor):
    device = add_totp(doctor)
    client = Client()
    client.post(reverse("accounts:login"), {"username": "doctor", "password": PASSWORD, "next": "foo"})
    response = client.post(reverse("accounts:mfa") + "?next=foo", {"otp_token": current_code(device), "next": "foo"})
    assert response.status_code == 302 and response.url == reverse("patients:list")


def test_reauth_with_an_unsafe_next(doctor, settings):
    settings.SEGMENTA_REQUIRE_MFA = False
    client = Client()
    client.force_login(doctor)
    response = client.post(reverse("accounts:reauth") + "?next=foo", {"password": PASSWORD, "next": "foo"})
    assert response.status_code == 302 and response.url == reverse("patients:list")


def test_a_failing_login_writes_no_login_event(doctor, settings, monkeypatch):
    """Should anything after the password check fail, the audit trail does not claim a login."""
    settings.SEGMENTA_REQUIRE_MFA = False
    from segmenta.accounts import views

    def broken(*args, **kwargs):
        raise RuntimeError("redirect failed")

    monkeypatch.setattr(views, "redirect", broken)
    client = Client(raise_request_exception=False)
    response = client.post(reverse("accounts:login"), {"username": "doctor", "password": PASSWORD})
    assert response.status_code == 500
    assert not AuditEvent.objects.filter(action="login", username="doctor").exists()
