"""Managing members in a real browser: removing someone from the clinic, or resetting their
second factor, asks first and names who; nothing happens on the first tap."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from segmenta.accounts.models import Membership
from segmenta.conftest import make_user

pytestmark = pytest.mark.browser


def test_removing_a_member_asks_first_and_names_them(members_page, clinic):
    page = members_page
    leaving = make_user("leaving", clinic, "practitioner", "")
    membership = leaving.memberships.get()
    page.reload()
    row = page.locator(f"#member-{membership.pk}")
    row.get_by_text("Remove from clinic").click()
    assert Membership.objects.filter(user=leaving).exists()  # the first tap only asks
    row.get_by_role("button", name=f"Remove leaving from {clinic.name}").click()
    page.wait_for_url("**/accounts/members/**")
    assert not Membership.objects.filter(user=leaving).exists()
    assert page.locator(f"#member-{membership.pk}").count() == 0


def test_resetting_a_second_factor_asks_first_and_is_offered_only_when_enrolled(members_page, clinic):
    page = members_page
    enrolled = make_user("enrolled", clinic, "practitioner", "")
    TOTPDevice.objects.create(user=enrolled, name="phone", confirmed=True)
    fresh = make_user("fresh", clinic, "assistant", "")
    page.reload()
    assert page.locator(f"#member-{fresh.memberships.get().pk}").get_by_text("Reset second factor").count() == 0
    row = page.locator(f"#member-{enrolled.memberships.get().pk}")
    row.get_by_text("Reset second factor").click()
    assert TOTPDevice.objects.filter(user=enrolled).exists()
    row.get_by_role("button", name="Reset the second factor of enrolled").click()
    page.wait_for_url("**/accounts/members/**")
    assert not TOTPDevice.objects.filter(user=enrolled).exists()
