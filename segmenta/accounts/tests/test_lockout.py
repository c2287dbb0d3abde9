from django.test import Client
from django.urls import reverse

from segmenta.audit.models import AuditEvent
from segmenta.conftest import PASSWORD


def attempt(client, password):
    return client.post(reverse("accounts:login"), {"username": "doctor", "password": password})


def test_repeated_failed_logins_lock_the_account(settings, doctor):
    settings.SEGMENTA_REQUIRE_MFA = False
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, "wrong-password").status_code == 200
    locked = attempt(client, "wrong-password")
    assert locked.status_code == 429
    assert b"Too many failed attempts" in locked.content
    # Even the right password is refused while locked.
    assert attempt(client, PASSWORD).status_code == 429
    assert client.get(reverse("patients:list")).status_code == 302
    assert AuditEvent.objects.filter(action="locked_out", username="doctor").exists()


def test_a_success_before_the_limit_resets_the_count(settings, doctor):
    settings.SEGMENTA_REQUIRE_MFA = False
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, "wrong-password")
    assert attempt(client, PASSWORD).status_code == 302
    client.post(reverse("accounts:logout"))
    assert attempt(client, "wrong-password").status_code == 200


def test_lockout_from_one_address_does_not_lock_out_another(settings, doctor):
    settings.SEGMENTA_REQUIRE_MFA = False
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(attacker, "wrong-password")
    assert attempt(attacker, PASSWORD).status_code == 429
    assert attempt(Client(REMOTE_ADDR="192.0.2.10"), PASSWORD).status_code == 302
