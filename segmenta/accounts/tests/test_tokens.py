import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from segmenta.accounts.models import ApiToken
from segmenta.audit.models import AuditEvent


def issue(username, capsys):
    call_command("token", username)
    return capsys.readouterr().out.strip().splitlines()[-1]


def test_token_command_prints_a_working_token_as_its_last_line(doctor, patient, capsys):
    raw = issue("doctor", capsys)
    response = Client().get(reverse("api:list_patients"), HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_tokens_are_stored_only_as_hashes(doctor, capsys):
    raw = issue("doctor", capsys)
    token = ApiToken.objects.get()
    assert raw not in (token.key_hash, token.key_prefix) and len(token.key_hash) == 64
    assert raw.startswith(token.key_prefix)


def test_revoked_token_is_refused(doctor, capsys):
    raw = issue("doctor", capsys)
    call_command("token", "doctor", "--revoke", ApiToken.objects.get().key_prefix)
    response = Client().get(reverse("api:list_patients"), HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 401


def test_token_for_unknown_user_fails_clearly(db):
    with pytest.raises(CommandError, match="no user named 'ghost'") as excinfo:
        call_command("token", "ghost")
    assert excinfo.value.returncode == 2


def test_user_creates_and_revokes_a_token_in_the_app(doctor_client):
    session = doctor_client.session
    session["reauth_at"] = time.time()
    session.save()
    response = doctor_client.post(reverse("accounts:token_create"), {"name": "EHR bridge"})
    raw = response.context["raw"]
    assert Client().get(reverse("api:list_patients"), HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    doctor_client.post(reverse("accounts:token_revoke", args=[ApiToken.objects.get().pk]))
    assert Client().get(reverse("api:list_patients"), HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    assert AuditEvent.objects.filter(object_type="apitoken").count() == 2


def test_creating_a_token_in_the_app_needs_reauthentication(doctor_client):
    response = doctor_client.post(reverse("accounts:token_create"), {"name": "x"},
                                  HTTP_REFERER="http://testserver/accounts/profile/")
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:reauth"))
    assert "next=%2Faccounts%2Fprofile%2F" in response.url
    assert not ApiToken.objects.exists()
