"""The profile's tables fit their cards at every size: nothing clipped, no sideways
scrolling, the "Revoke" and "Remove" buttons in reach."""

import datetime

import pytest

from segmenta.accounts.models import ApiToken, TrainingRecord
from segmenta.conftest import browser_login

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("size", [(1366, 900), (1024, 768), (390, 844)])
def test_the_profiles_tables_fit_their_cards(page, settings, doctor, size):
    settings.SEGMENTA_REQUIRE_MFA = False
    ApiToken.issue(doctor, "practice management system")
    TrainingRecord.objects.create(profile=doctor.profile, course="Neural therapy basic course",
                                  provider="Internationale Gesellschaft für Neuraltherapie nach Huneke",
                                  date=datetime.date(2019, 5, 18), hours=40, techniques=["wheal", "scar"])
    page.set_viewport_size({"width": size[0], "height": size[1]})
    browser_login(page, "doctor")
    page.goto("/accounts/profile/")
    clipped = page.evaluate("""() => [...document.querySelectorAll('main .card')]
        .filter(card => card.scrollWidth > card.clientWidth + 1).map(card => card.querySelector('h2').textContent)""")
    assert clipped == []
    for name in ("Revoke", "Remove"):
        button, card = page.get_by_role("button", name=name), page.get_by_role("button", name=name).locator(
            "xpath=ancestor::section[1]")
        inner, outer = button.bounding_box(), card.bounding_box()
        assert outer["x"] <= inner["x"] and inner["x"] + inner["width"] <= outer["x"] + outer["width"], name
    # The tokens table still reads as one: a token revoked from it is revoked.
    page.get_by_role("button", name="Revoke").click()
    assert ApiToken.objects.get(user=doctor).revoked_at is not None
