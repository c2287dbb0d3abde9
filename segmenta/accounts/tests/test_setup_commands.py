import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from segmenta.accounts.models import Clinic
from segmenta.audit.models import AuditEvent


def test_clinic_create_with_first_admin(db, capsys):
    call_command("clinic", "create", "Praxis am See", "--admin", "alice")
    out = capsys.readouterr().out
    password = out.split("shown once): ")[1].split()[0]
    alice = get_user_model().objects.get(username="alice")
    assert alice.check_password(password)
    assert alice.memberships.get().role == "admin"
    assert alice.memberships.get().clinic.name == "Praxis am See"
    assert AuditEvent.objects.filter(action="create", object_type="clinic").exists()


def test_add_member_to_an_existing_clinic(db, capsys):
    call_command("clinic", "create", "Praxis am See")
    call_command("clinic", "add-member", "Praxis am See", "bob", "practitioner", "--profession", "dentist")
    bob = get_user_model().objects.get(username="bob")
    assert bob.profile.profession == "dentist" and bob.memberships.get().role == "practitioner"


def test_clinic_command_names_bad_input(db):
    call_command("clinic", "create", "Praxis am See")
    with pytest.raises(CommandError, match="^name: a clinic named") as excinfo:
        call_command("clinic", "create", "Praxis am See")
    assert excinfo.value.returncode == 2
    with pytest.raises(CommandError, match="^clinic: no clinic named"):
        call_command("clinic", "add-member", "Nowhere", "bob", "assistant")
    assert Clinic.objects.count() == 1


def test_admin_changes_are_audited(db, django_user_model):
    from segmenta.conftest import login_verified

    root = django_user_model.objects.create_superuser("root", password="x-long-password-1")
    client = login_verified(Client(), root)
    response = client.post("/admin/accounts/clinic/add/", {
        "name": "Neue Praxis", "reassess_after": "3", "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0"})
    assert response.status_code == 302, response.content[:500]
    clinic = Clinic.objects.get(name="Neue Praxis")
    event = AuditEvent.objects.get(action="create", object_type="clinic")
    assert event.object_id == str(clinic.pk) and event.detail == {"via": "admin"}


def test_admin_uses_the_apps_login(db):
    response = Client().get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_a_command_run_inside_the_package_writes_nothing_there():
    """The default var folder is relative to where a command runs; inside the package it
    would leave a database and a secret key in the package tree."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    package = Path(__file__).resolve().parents[2]
    inside = package / "patients"
    env = {k: v for k, v in os.environ.items() if k not in ("SEGMENTA_VAR_DIR", "DATABASE_URL")}
    run = subprocess.run([sys.executable, "-m", "segmenta", "check"], cwd=inside, env=env, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode != 0 and "inside the package" in run.stderr
    assert not (inside / "var").exists()
