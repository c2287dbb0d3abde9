"""The clinic settings page: jurisdiction, crisis contacts and the reassessment default,
for clinic admins behind re-authentication, audited with old and new values; and the
jurisdiction of a clinic created from the shell."""

import os
import subprocess
import sys
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from segmenta.accounts.models import Clinic
from segmenta.audit.models import AuditEvent
from segmenta.conftest import login_verified
from segmenta.knowledge.base import load


def sudo(client):
    session = client.session
    session["reauth_at"] = time.time()
    session.save()
    return client


@pytest.fixture
def sudo_admin(admin_client):
    return sudo(admin_client)


def save(client, clinic, **values):
    data = {"jurisdiction": clinic.jurisdiction, "crisis_contacts": clinic.crisis_contacts,
            "reassess_after": clinic.reassess_after}
    data.update(values)
    return client.post(reverse("accounts:clinic_settings_save", args=[clinic.pk]),
                       {f"clinic-{clinic.pk}-{name}": value for name, value in data.items()})


def test_admin_saves_jurisdiction_crisis_contacts_and_reassessment_audited_old_and_new(sudo_admin, clinic):
    response = save(sudo_admin, clinic, jurisdiction=" at ", reassess_after="4",
                    crisis_contacts="Krisendienst Nord: 0800 000 000\n\n  Hausarzt-Notdienst 141  \n")
    assert response.status_code == 302 and response.url == reverse("accounts:clinic_settings")
    clinic.refresh_from_db()
    assert clinic.jurisdiction == "AT" and clinic.reassess_after == 4
    assert clinic.crisis_contacts == "Krisendienst Nord: 0800 000 000\nHausarzt-Notdienst 141"
    event = AuditEvent.objects.get(action="update", object_type="clinic")
    assert event.clinic == clinic and event.username == "boss"
    assert event.detail["settings"] == {
        "jurisdiction": ["", "AT"], "reassess_after": [3, 4],
        "crisis_contacts": ["", "Krisendienst Nord: 0800 000 000\nHausarzt-Notdienst 141"]}


def test_an_invalid_jurisdiction_is_named_and_nothing_is_saved(sudo_admin, clinic):
    response = save(sudo_admin, clinic, jurisdiction="Bavaria", reassess_after="4")
    assert response.status_code == 400
    form = response.context["clinics"][0]["form"]
    assert list(form.errors) == ["jurisdiction"]
    assert "country code such as DE" in response.content.decode()
    clinic.refresh_from_db()
    assert (clinic.jurisdiction, clinic.reassess_after) == ("", 3)
    assert not AuditEvent.objects.filter(object_type="clinic").exists()


def test_reassessment_outside_three_to_five_is_named(sudo_admin, clinic):
    response = save(sudo_admin, clinic, reassess_after="9")
    assert response.status_code == 400
    assert list(response.context["clinics"][0]["form"].errors) == ["reassess_after"]


def test_only_admins_see_the_settings_and_only_of_their_own_clinic(doctor, sudo_admin, clinic, other_clinic):
    practitioner = sudo(login_verified(Client(), doctor))
    assert practitioner.get(reverse("accounts:clinic_settings")).status_code == 404
    assert save(practitioner, clinic, jurisdiction="DE").status_code == 404
    assert save(sudo_admin, other_clinic, jurisdiction="DE").status_code == 404
    assert "Praxis Süd" not in sudo_admin.get(reverse("accounts:clinic_settings")).content.decode()
    assert not Clinic.objects.exclude(jurisdiction="").exists()


def test_settings_need_a_fresh_reauthentication(admin_client, clinic):
    response = admin_client.get(reverse("accounts:clinic_settings"))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:reauth"))
    response = save(admin_client, clinic, jurisdiction="DE")
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:reauth"))
    clinic.refresh_from_db()
    assert clinic.jurisdiction == ""


def test_admins_find_the_settings_in_the_navigation_and_on_the_members_page(sudo_admin, doctor_client):
    url = reverse("accounts:clinic_settings")
    assert f'href="{url}"' in sudo_admin.get(reverse("accounts:members")).content.decode()
    assert f'href="{url}"' in sudo_admin.get(reverse("patients:list")).content.decode()
    assert f'href="{url}"' not in doctor_client.get(reverse("patients:list")).content.decode()


def test_an_unknown_jurisdiction_is_a_warning_on_the_page(sudo_admin, clinic):
    html = sudo_admin.get(reverse("accounts:clinic_settings")).content.decode()
    assert "Jurisdiction unknown" in html
    clinic.jurisdiction = "DE"
    clinic.save()
    assert "Jurisdiction unknown" not in sudo_admin.get(reverse("accounts:clinic_settings")).content.decode()


def test_without_own_contacts_the_page_shows_the_defaults_patients_will_see(sudo_admin, clinic):
    clinic.jurisdiction = "US-OR"
    clinic.save()
    default = load().get("crisis-contact", "US")
    html = sudo_admin.get(reverse("accounts:clinic_settings")).content.decode()
    for contact in default["contacts"]:
        assert f"{contact['name']}: {contact['phone']}" in html.replace("&amp;", "&")
    clinic.crisis_contacts = "Our own line: 555"
    clinic.save()
    html = sudo_admin.get(reverse("accounts:clinic_settings")).content.decode()
    assert default["contacts"][0]["phone"] + "</li>" not in html


def test_a_jurisdiction_without_known_crisis_line_warns_that_only_the_emergency_number_shows(sudo_admin, clinic):
    clinic.jurisdiction = "FR"
    clinic.save()
    html = sudo_admin.get(reverse("accounts:clinic_settings")).content.decode()
    assert "No crisis line is known for this jurisdiction" in html


def test_clinic_create_sets_the_jurisdiction(db, capsys):
    call_command("clinic", "create", "Praxis am See", "--admin", "alice", "--jurisdiction", "ch")
    assert Clinic.objects.get().jurisdiction == "CH"
    assert AuditEvent.objects.get(object_type="clinic").detail["jurisdiction"] == "CH"


def test_clinic_create_refuses_an_invalid_jurisdiction_naming_it(db):
    with pytest.raises(CommandError, match="^--jurisdiction: 'Bavaria' is not") as excinfo:
        call_command("clinic", "create", "Praxis am See", "--jurisdiction", "Bavaria")
    assert excinfo.value.returncode == 2
    assert not Clinic.objects.exists()


def test_the_segmenta_command_exits_2_with_one_line_for_an_invalid_jurisdiction(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SEGMENTA_", "DJANGO_", "DATABASE_URL"))}
    env["SEGMENTA_VAR_DIR"] = str(tmp_path)
    result = subprocess.run([sys.executable, "-m", "segmenta", "clinic", "create", "Praxis", "--jurisdiction",
                             "U.S."], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "--jurisdiction" in result.stderr
    assert result.stdout == ""


def test_overrides_that_no_longer_validate_fall_back_to_the_shipped_defaults(sudo_admin, clinic):
    from segmenta.knowledge.models import ClinicOverride

    clinic.jurisdiction = "DE"
    clinic.save()
    ClinicOverride.objects.create(clinic=clinic, kind="crisis-contact", entry_id="DE", data={"contacts": "none"},
                                  reason="broken on purpose")
    response = sudo_admin.get(reverse("accounts:clinic_settings"))
    assert response.status_code == 200
    shipped = load().get("crisis-contact", "DE")["contacts"][0]
    assert f"{shipped['name']}: {shipped['phone']}" in response.content.decode()


def stored_files(settings):
    root = settings.MEDIA_ROOT
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_a_settings_save_that_rolls_back_leaves_no_new_logo_behind(sudo_admin, clinic, settings, monkeypatch):
    """A logo reaches storage inside the transaction; a rollback (here the audit trail failing)
    must take the new file with it: no clinic names it."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    image = io.BytesIO()
    Image.new("RGB", (60, 20), (20, 90, 160)).save(image, format="PNG")
    before = stored_files(settings)

    def failing_record(*args, **kwargs):
        raise RuntimeError("the audit trail is unavailable")

    monkeypatch.setattr("segmenta.accounts.views.record", failing_record)
    data = {"jurisdiction": "DE", "crisis_contacts": "", "reassess_after": 3,
            "logo": SimpleUploadedFile("logo.png", image.getvalue(), content_type="image/png")}
    with pytest.raises(RuntimeError):
        sudo_admin.post(reverse("accounts:clinic_settings_save", args=[clinic.pk]),
                        {f"clinic-{clinic.pk}-{name}": value for name, value in data.items()})
    clinic.refresh_from_db()
    assert not clinic.logo and stored_files(settings) == before
