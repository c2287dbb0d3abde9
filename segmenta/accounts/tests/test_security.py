import os
import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

REQUIRED_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@pytest.mark.parametrize("name", ["accounts:login", "patients:list", "patients:create", "accounts:profile"])
def test_every_page_sends_a_strict_csp_and_security_headers(doctor_client, name):
    client = Client() if name == "accounts:login" else doctor_client
    response = client.get(reverse(name))
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    for header, value in REQUIRED_HEADERS.items():
        assert response[header] == value
    assert "camera=()" in response["Permissions-Policy"]


def test_pages_with_patient_data_are_not_cached(doctor_client, patient):
    response = doctor_client.get(reverse("patients:detail", args=[patient.pk]))
    assert response["Cache-Control"] == "no-store"


def test_pages_carry_no_inline_script(doctor_client, patient):
    html = doctor_client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "<script>" not in html and " onclick=" not in html and " style=" not in html


def test_posts_without_csrf_token_are_rejected(doctor, patient):
    from segmenta.conftest import login_verified

    client = login_verified(Client(enforce_csrf_checks=True), doctor)
    response = client.post(reverse("patients:edit", args=[patient.pk]), {"family_name": "X"})
    assert response.status_code == 403


def test_passwords_are_hashed_with_argon2(settings, db):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = get_user_model().objects.create_user("hashme", password="a long enough passphrase")
    assert user.password.startswith("argon2$")


def test_shipped_settings_hash_with_argon2_first():
    from segmenta import settings as shipped

    assert shipped.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def _segmenta(*args, env_extra, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SEGMENTA_", "DJANGO_", "DATABASE_URL"))}
    env.update({"SEGMENTA_VAR_DIR": str(tmp_path)}, **env_extra)
    return subprocess.run([sys.executable, "-m", "segmenta", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def test_production_settings_pass_the_deploy_check(tmp_path):
    result = _segmenta("check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path, env_extra={
        "SEGMENTA_ENV": "production",
        "SEGMENTA_SECRET_KEY": "k" * 10 + "Q8v#2mZ!pL4x@9sT0wE7rY3uI6oP1aS5dF8gH2jK" + "z" * 10,
        "SEGMENTA_ALLOWED_HOSTS": "segmenta.example.org",
    })
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _segmenta("check", tmp_path=tmp_path, env_extra={
        "SEGMENTA_ENV": "production", "SEGMENTA_ALLOWED_HOSTS": "segmenta.example.org"})
    assert result.returncode != 0
    assert "SEGMENTA_SECRET_KEY" in result.stderr


def test_mfa_is_required_unless_switched_off(tmp_path):
    code = "from django.conf import settings; print(settings.SEGMENTA_REQUIRE_MFA)"
    on = _segmenta("shell", "-v", "0", "-c", code, tmp_path=tmp_path, env_extra={})
    off = _segmenta("shell", "-v", "0", "-c", code, tmp_path=tmp_path, env_extra={"SEGMENTA_REQUIRE_MFA": "0"})
    assert on.stdout.strip() == "True" and off.stdout.strip() == "False"


def test_default_database_is_sqlite_in_wal_mode(tmp_path):
    code = ("from django.db import connection; c = connection.cursor(); c.execute('PRAGMA journal_mode');"
            "print(connection.vendor, c.fetchone()[0], connection.settings_dict['NAME'])")
    result = _segmenta("shell", "-v", "0", "-c", code, tmp_path=tmp_path, env_extra={})
    vendor, mode, name = result.stdout.split()
    assert (vendor, mode) == ("sqlite", "wal")
    assert name == str(tmp_path / "segmenta.sqlite3")


def test_database_url_selects_the_database(tmp_path):
    code = "from django.db import connection; print(connection.settings_dict['NAME'])"
    result = _segmenta("shell", "-v", "0", "-c", code, tmp_path=tmp_path,
                       env_extra={"DATABASE_URL": f"sqlite:///{tmp_path}/other.db"})
    assert result.stdout.strip() == f"{tmp_path}/other.db"
