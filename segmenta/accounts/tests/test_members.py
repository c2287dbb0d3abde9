import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from segmenta.accounts.models import Membership, Role
from segmenta.audit.models import AuditEvent
from segmenta.conftest import add_totp, make_user


@pytest.fixture
def sudo_admin(admin_client):
    session = admin_client.session
    session["reauth_at"] = time.time()
    session.save()
    return admin_client


def test_assistants_never_sign_but_practitioners_and_admins_do(doctor, admin_user, assistant, clinic):
    roles = {m.user.username: m.can_sign for m in Membership.objects.filter(clinic=clinic)}
    assert roles == {"doctor": True, "boss": True, "assist": False}


def test_a_user_may_belong_to_several_clinics_with_different_roles(doctor, clinic, other_clinic):
    Membership.objects.create(user=doctor, clinic=other_clinic, role=Role.ASSISTANT)
    roles = dict(doctor.memberships.values_list("clinic__name", "role"))
    assert roles == {clinic.name: "practitioner", other_clinic.name: "assistant"}


def test_only_clinic_admins_see_the_members_page(doctor_client):
    assert doctor_client.get(reverse("accounts:members")).status_code == 404


def test_admin_lists_only_their_own_clinics_members(sudo_admin, doctor, outsider):
    html = sudo_admin.get(reverse("accounts:members")).content.decode()
    assert "doctor" in html and "outsider" not in html


def test_the_clinic_column_shows_only_for_an_admin_of_several_clinics(sudo_admin, admin_user, doctor, other_clinic):
    def headers():
        html = sudo_admin.get(reverse("accounts:members")).content.decode()
        return re.findall(r'<th scope="col">([^<]+)</th>', html)

    assert "Clinic" not in headers() and "User" in headers()
    Membership.objects.create(user=admin_user, clinic=other_clinic, role=Role.ADMIN)
    assert "Clinic" in headers()


def test_admin_creates_a_member_with_role_and_profession(sudo_admin, clinic):
    response = sudo_admin.post(reverse("accounts:members"), {
        "clinic": clinic.pk, "username": "newhp", "role": "practitioner", "profession": "heilpraktiker",
        "password": "a sufficiently long passphrase",
    })
    assert response.status_code == 302
    user = get_user_model().objects.get(username="newhp")
    assert user.profile.profession == "heilpraktiker"
    assert user.memberships.get().role == "practitioner"
    assert user.password.startswith(("argon2", "md5"))  # hashed, never clear text
    assert AuditEvent.objects.filter(action="create", object_type="membership", clinic=clinic).exists()


def test_new_member_form_names_each_bad_field(sudo_admin, clinic, doctor):
    response = sudo_admin.post(reverse("accounts:members"), {
        "clinic": clinic.pk, "username": "doctor", "role": "overlord", "password": "short",
    })
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"username", "role", "password"}
    assert get_user_model().objects.count() == 2


def test_a_new_members_role_is_chosen_never_preselected(sudo_admin, clinic):
    html = sudo_admin.get(reverse("accounts:members")).content.decode()
    role = re.search(r'<select name="role" [^>]*id="id_role"[^>]*>(.*?)</select>', html, re.S).group(1)
    assert "selected" not in role.split("</option>")[1] and "Choose a role" in role
    response = sudo_admin.post(reverse("accounts:members"), {
        "clinic": clinic.pk, "username": "newbie", "password": "a sufficiently long passphrase"})
    assert response.status_code == 400 and set(response.context["form"].errors) == {"role"}
    assert not get_user_model().objects.filter(username="newbie").exists()


def test_admin_cannot_manage_another_clinics_members(sudo_admin, outsider):
    other = outsider.memberships.get()
    assert sudo_admin.post(reverse("accounts:member_role", args=[other.pk]), {"role": "admin"}).status_code == 404
    assert sudo_admin.post(reverse("accounts:member_remove", args=[other.pk])).status_code == 404
    other.refresh_from_db()
    assert other.role == "practitioner"


def test_role_change_is_audited(sudo_admin, doctor):
    member = doctor.memberships.get()
    sudo_admin.post(reverse("accounts:member_role", args=[member.pk]), {"role": "assistant"})
    member.refresh_from_db()
    assert member.role == "assistant"
    event = AuditEvent.objects.get(action="update", object_type="membership")
    assert event.detail["role"] == ["practitioner", "assistant"]


def test_the_last_admin_cannot_be_removed_or_demoted(sudo_admin, admin_user):
    member = admin_user.memberships.get()
    sudo_admin.post(reverse("accounts:member_role", args=[member.pk]), {"role": "assistant"})
    sudo_admin.post(reverse("accounts:member_remove", args=[member.pk]))
    member.refresh_from_db()
    assert member.role == "admin"


def test_admin_resets_a_members_second_factor(sudo_admin, doctor):
    add_totp(doctor)
    sudo_admin.post(reverse("accounts:member_reset_mfa", args=[doctor.memberships.get().pk]))
    assert not TOTPDevice.objects.filter(user=doctor).exists()


def test_member_page_query_count_does_not_grow_with_members(sudo_admin, clinic):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert sudo_admin.get(reverse("accounts:members")).status_code == 200
        return len(ctx)

    make_user("m0", clinic)
    few = count()
    for i in range(1, 15):
        add_totp(make_user(f"m{i}", clinic, role="assistant"))
    assert count() == few
