"""Fixtures the accounts tests share."""

import pytest

from segmenta.conftest import PASSWORD, browser_login


@pytest.fixture
def members_page(page, settings, admin_user):
    settings.SEGMENTA_REQUIRE_MFA = False
    browser_login(page, "boss")
    page.get_by_role("link", name="Members").click()
    # User management asks for the password again first.
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/accounts/members/")
    return page
