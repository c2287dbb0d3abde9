"""Profession, licence number and licence jurisdiction are set and verified by a clinic
admin on the members page (issue 10, item 5), never by users on their own profile."""

import time

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from segmenta.accounts.models import Membership, PractitionerProfile, Role
from segmenta.audit.models import AuditEvent
from segmenta.conftest import login_verified, make_user


def sudo(client):
    session = client.session
    session["reauth_at"] = time.time()
    session.save()
    return client


@pytest.fixture
def sudo_admin(admin_client):
    return sudo(admin_client)


@pytest.fixture
def unverified(clinic):
    """A practitioner whose profession nobody has verified yet (as after the migration)."""
    user = make_user("newdoc", clinic, "practitioner", "")
    PractitionerProfile.objects.filter(user=user).update(profession="physician", licence_jurisdiction="DE")
    return user


def set_licence(client, member, **values):
    data = {"profession": "", "licence_number": "", "licence_jurisdiction": ""}
    data.update(values)
    return client.post(reverse("accounts:member_licence", args=[member.pk]),
                       {f"licence-{member.pk}-{name}": value for name, value in data.items()})


def test_admin_saving_a_members_licence_verifies_it_and_audits_old_and_new(sudo_admin, admin_user, unverified):
    member = unverified.memberships.get()
    response = set_licence(sudo_admin, member, profession="physician", licence_number="LÄK 4711",
                           licence_jurisdiction="de")
    assert response.status_code == 302
    profile = PractitionerProfile.objects.get(user=unverified)
    assert (profile.profession, profile.licence_number, profile.licence_jurisdiction) == ("physician", "LÄK 4711", "DE")
    assert profile.verified_by == admin_user and profile.verified_at is not None
    assert profile.verified_profession == "physician"
    event = AuditEvent.objects.get(action="update", object_type="practitionerprofile")
    assert event.user == admin_user and event.clinic == member.clinic
    assert event.detail["licence_number"] == ["", "LÄK 4711"]
    assert "profession" not in event.detail  # unchanged: only what changed is listed
    assert event.detail["verified"] is True and event.detail["previously"]["verified_at"] is None


def test_changing_any_of_the_three_verifies_again_in_the_admins_name(sudo_admin, admin_user, doctor):
    before = PractitionerProfile.objects.get(user=doctor)
    assert before.verified_by is None  # the fixture's profession was verified by nobody we know
    set_licence(sudo_admin, doctor.memberships.get(), profession="physician", licence_jurisdiction="CH")
    after = PractitionerProfile.objects.get(user=doctor)
    assert after.licence_jurisdiction == "CH"
    assert after.verified_by == admin_user and after.verified_at > before.verified_at
    assert AuditEvent.objects.get(object_type="practitionerprofile").detail["licence_jurisdiction"] == ["", "CH"]


def test_clearing_the_profession_clears_the_verification(sudo_admin, doctor):
    set_licence(sudo_admin, doctor.memberships.get(), profession="")
    profile = PractitionerProfile.objects.get(user=doctor)
    assert profile.profession == "" and profile.verified_at is None and profile.verified_by is None
    event = AuditEvent.objects.get(object_type="practitionerprofile")
    assert event.detail["profession"] == ["physician", ""] and event.detail["verified"] is False


def test_an_admin_may_verify_their_own_entry_and_it_is_audited(sudo_admin, admin_user):
    set_licence(sudo_admin, admin_user.memberships.get(), profession="dentist", licence_number="ZA-1")
    profile = PractitionerProfile.objects.get(user=admin_user)
    assert profile.verified_profession == "dentist" and profile.verified_by == admin_user
    event = AuditEvent.objects.get(object_type="practitionerprofile")
    assert event.detail["username"] == "boss" and event.detail["profession"] == ["physician", "dentist"]


def test_an_invalid_licence_jurisdiction_is_named_and_nothing_changes(sudo_admin, unverified):
    member = unverified.memberships.get()
    response = set_licence(sudo_admin, member, profession="physician", licence_jurisdiction="Bavaria")
    assert response.status_code == 400
    bound = next(m.licence_form for m in response.context["members"] if m.pk == member.pk)
    assert list(bound.errors) == ["licence_jurisdiction"]
    assert "country code such as DE" in response.content.decode()
    profile = PractitionerProfile.objects.get(user=unverified)
    assert profile.verified_at is None and profile.licence_jurisdiction == "DE"
    assert not AuditEvent.objects.filter(object_type="practitionerprofile").exists()


def test_an_unknown_profession_is_named(sudo_admin, unverified):
    response = set_licence(sudo_admin, unverified.memberships.get(), profession="shaman")
    assert response.status_code == 400
    assert "profession" in next(m.licence_form.errors for m in response.context["members"] if m.licence_form.errors)


def test_a_practitioner_cannot_verify_anyone_not_even_themselves(doctor, unverified):
    client = sudo(login_verified(Client(), doctor))
    for member in (unverified.memberships.get(), doctor.memberships.get()):
        assert set_licence(client, member, profession="physician").status_code == 404
    assert PractitionerProfile.objects.get(user=unverified).verified_at is None


def test_another_clinics_member_is_not_found(sudo_admin, outsider):
    response = set_licence(sudo_admin, outsider.memberships.get(), profession="dentist")
    assert response.status_code == 404
    assert PractitionerProfile.objects.get(user=outsider).profession == "physician"


def test_verifying_needs_a_fresh_reauthentication(admin_client, unverified):
    response = set_licence(admin_client, unverified.memberships.get(), profession="physician")
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:reauth"))
    assert PractitionerProfile.objects.get(user=unverified).verified_at is None


def test_someone_who_also_works_elsewhere_is_verified_only_by_an_admin_of_every_clinic(
        sudo_admin, unverified, other_clinic):
    Membership.objects.create(user=unverified, clinic=other_clinic, role=Role.PRACTITIONER)
    html = sudo_admin.get(reverse("accounts:members")).content.decode()
    assert reverse("accounts:member_licence", args=[unverified.memberships.get(clinic__name="Praxis Nord").pk]) \
        not in html
    response = set_licence(sudo_admin, unverified.memberships.get(clinic__name="Praxis Nord"), profession="physician")
    assert response.status_code == 302
    assert PractitionerProfile.objects.get(user=unverified).verified_at is None


def test_the_list_shows_each_profession_with_its_verification_state(sudo_admin, admin_user, unverified, doctor):
    profile = doctor.profile
    profile.set_licence(admin_user, profession="physician", licence_number="", licence_jurisdiction="")
    profile.save()
    html = sudo_admin.get(reverse("accounts:members")).content.decode()

    def cell(user):
        row = html[html.index(f'id="member-{user.memberships.get().pk}"'):]
        row = row[row.index('<td class="profession"'):]
        return row[:row.index("</td>")]

    assert "Physician" in cell(doctor) and f"verified by boss on {timezone.localtime(profile.verified_at):%Y-%m-%d}" in cell(doctor)
    assert "Physician" in cell(unverified) and "not verified" in cell(unverified)


def test_a_new_member_created_with_a_profession_is_verified_by_the_admin(sudo_admin, admin_user, clinic):
    response = sudo_admin.post(reverse("accounts:members"), {
        "clinic": clinic.pk, "username": "newhp", "role": "practitioner", "profession": "heilpraktiker",
        "licence_jurisdiction": "de", "password": "a sufficiently long passphrase"})
    assert response.status_code == 302
    profile = get_user_model().objects.get(username="newhp").profile
    assert profile.verified_profession == "heilpraktiker" and profile.verified_by == admin_user
    assert profile.licence_jurisdiction == "DE"
    event = AuditEvent.objects.get(object_type="practitionerprofile")
    assert event.detail["profession"] == ["", "heilpraktiker"] and event.detail["verified"] is True


def test_a_new_member_without_a_profession_is_not_verified(sudo_admin, clinic):
    sudo_admin.post(reverse("accounts:members"), {
        "clinic": clinic.pk, "username": "newassist", "role": "assistant",
        "password": "a sufficiently long passphrase"})
    profile = get_user_model().objects.get(username="newassist").profile
    assert profile.profession == "" and profile.verified_at is None


def test_a_new_members_invalid_licence_jurisdiction_is_named(sudo_admin, clinic):
    response = sudo_admin.post(reverse("accounts:members"), {
        "clinic": clinic.pk, "username": "newhp", "role": "practitioner", "profession": "heilpraktiker",
        "licence_jurisdiction": "Germany", "password": "a sufficiently long passphrase"})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"licence_jurisdiction"}
    assert not get_user_model().objects.filter(username="newhp").exists()


def test_a_profession_given_by_the_server_operator_counts_as_verified(db, capsys):
    call_command("clinic", "create", "Praxis am See")
    call_command("clinic", "add-member", "Praxis am See", "bob", "practitioner", "--profession", "dentist")
    profile = get_user_model().objects.get(username="bob").profile
    assert profile.verified_profession == "dentist" and profile.verified_by is None
    assert AuditEvent.objects.get(object_type="practitionerprofile").detail["via"] == "cli"


def test_the_demos_professions_are_verified_by_the_demo_admin(db):
    call_command("demo", stdout=open("/dev/null", "w"))
    profiles = {p.user.username: p for p in PractitionerProfile.objects.select_related("user", "verified_by")}
    assert profiles["demo-doctor"].verified_profession == "physician"
    assert profiles["demo-hp"].verified_profession == "heilpraktiker"
    assert profiles["demo-doctor"].verified_by.username == "demo-admin"
    assert profiles["other-doctor"].verified_profession == "physician"
    assert profiles["demo-assistant"].verified_profession is None


def test_a_profession_set_in_the_django_admin_is_stamped_as_verified_by_the_operator(db, doctor):
    from django.contrib.auth import get_user_model
    from django.test import Client

    from segmenta.conftest import login_verified

    operator = get_user_model().objects.create_superuser("operator", password="x-operator-password")
    client = login_verified(Client(), operator)
    profile = doctor.profile
    profile.verified_at = profile.verified_by = None
    profile.save()
    url = reverse("admin:accounts_practitionerprofile_change", args=[profile.pk])
    response = client.post(url, {"user": doctor.pk, "profession": "dentist", "licence_number": "Z-1",
                                 "licence_jurisdiction": "AT"})
    assert response.status_code == 302
    profile.refresh_from_db()
    assert (profile.profession, profile.verified_by, profile.verified_profession) == ("dentist", operator, "dentist")
