"""The clinic settings form in a real browser, filled as an admin would."""

import pytest

from segmenta.audit.models import AuditEvent
from segmenta.conftest import PASSWORD, browser_login

pytestmark = pytest.mark.browser


def test_admin_sets_jurisdiction_crisis_contacts_and_reassessment(page, settings, admin_user, clinic):
    settings.SEGMENTA_REQUIRE_MFA = False
    browser_login(page, "boss")
    page.get_by_role("navigation").get_by_role("link", name="Clinic").click()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/accounts/clinic/")
    assert page.get_by_role("note").get_by_text("Jurisdiction unknown").is_visible()
    page.get_by_label("Jurisdiction").fill("de")
    page.get_by_label("Crisis contacts").click()
    page.keyboard.type("Krisendienst Nord: 0800 000 000")
    page.keyboard.press("Enter")
    page.keyboard.type("Notdienst 116 117")
    page.get_by_label("Reassess after session").fill("5")
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_url("**/accounts/clinic/")
    assert page.get_by_role("status").get_by_text("Settings of Praxis Nord saved").is_visible()
    clinic.refresh_from_db()
    assert (clinic.jurisdiction, clinic.reassess_after) == ("DE", 5)
    assert clinic.crisis_contacts == "Krisendienst Nord: 0800 000 000\nNotdienst 116 117"
    assert AuditEvent.objects.get(action="update", object_type="clinic").detail["settings"]["jurisdiction"] == [
        "", "DE"]
    assert page.get_by_role("note").count() == 0  # nothing unknown any more
