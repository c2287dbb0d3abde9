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
