"""Verified professions in a real browser: a clinic admin fills a member's profession form
on the members page; the practitioner sees it read-only on their profile."""

import pytest

from segmenta.accounts.models import PractitionerProfile
from segmenta.conftest import browser_login, make_user

pytestmark = pytest.mark.browser


def test_admin_sets_and_verifies_a_members_profession_licence_and_jurisdiction(members_page, clinic, admin_user):
    page = members_page
    newcomer = make_user("newdoc", clinic, "practitioner", "")
    page.reload()
    row = page.locator(f"#member-{newcomer.memberships.get().pk}")
    row.get_by_text("Profession and licence of newdoc").click()
    row.get_by_label("Profession").select_option(label="Dentist")
    row.get_by_label("Licence number").click()
    page.keyboard.type("ZÄK 0815")
    row.get_by_label("Licence jurisdiction").fill("at")
    row.get_by_role("button", name="Save and verify").click()
    page.wait_for_url("**/accounts/members/#member-*")
    assert page.get_by_role("status").get_by_text("Profession of newdoc saved and verified by you").is_visible()
    profile = PractitionerProfile.objects.get(user=newcomer)
    assert (profile.profession, profile.licence_number, profile.licence_jurisdiction) == ("dentist", "ZÄK 0815", "AT")
    assert profile.verified_by == admin_user and profile.verified_profession == "dentist"
    assert "verified by boss" in row.locator("td.profession").inner_text()


def test_a_wrong_jurisdiction_is_shown_at_the_field_and_nothing_is_verified(members_page, clinic):
    page = members_page
    newcomer = make_user("newdoc", clinic, "practitioner", "")
    page.reload()
    row = page.locator(f"#member-{newcomer.memberships.get().pk}")
    row.get_by_text("Profession and licence of newdoc").click()
    row.get_by_label("Profession").select_option(label="Physician")
    row.get_by_label("Licence jurisdiction").fill("Bavaria")
    row.get_by_role("button", name="Save and verify").click()
    row = page.locator(f"#member-{newcomer.memberships.get().pk}")
    field = row.locator(".field.invalid")
    assert "Licence jurisdiction" in field.inner_text() and "country code such as DE" in field.inner_text()
    assert PractitionerProfile.objects.get(user=newcomer).verified_at is None


def test_profile_shows_profession_read_only_with_its_verification_state(page, settings, clinic):
    settings.SEGMENTA_REQUIRE_MFA = False
    user = make_user("newdoc", clinic, "practitioner", "")
    PractitionerProfile.objects.filter(user=user).update(profession="osteopath")
    browser_login(page, "newdoc")
    page.get_by_role("link", name="newdoc").click()
    licence = page.locator("dl.licence")
    assert "Osteopath" in licence.inner_text()
    assert "not verified: ask your clinic admin" in licence.inner_text()
    assert page.get_by_role("note").get_by_text("ganglion and deep injections are blocked").is_visible()
    assert page.get_by_label("Profession").count() == 0  # nothing to edit
    assert page.locator("details.untrained summary").inner_text().endswith("charted with a warning")


def test_admin_creates_a_colleague_whose_profession_is_verified_on_creation(members_page, clinic, admin_user):
    from django.contrib.auth import get_user_model

    page = members_page
    form = page.locator("form.new-member")
    form.get_by_label("Username").fill("newhp")
    form.get_by_label("Role").select_option("practitioner")
    form.get_by_label("Profession").select_option(label="Heilpraktiker")
    form.get_by_label("Licence jurisdiction").fill("DE")
    form.get_by_label("Initial password").fill("a long initial password 42")
    form.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/accounts/members/")
    profile = get_user_model().objects.get(username="newhp").profile
    assert (profile.profession, profile.licence_jurisdiction, profile.verified_by) == ("heilpraktiker", "DE",
                                                                                      admin_user)
