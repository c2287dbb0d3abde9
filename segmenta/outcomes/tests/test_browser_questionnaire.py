"""A patient completes a questionnaire through a link, on a tablet, without logging in."""

import pytest

from segmenta.outcomes.models import AnswerLink, Response

pytestmark = pytest.mark.browser


def test_patient_completes_a_questionnaire_through_a_link(page, patient, doctor):
    _link, raw = AnswerLink.issue(patient, "gad-7", doctor, hours=1)
    page.goto(f"/q/{raw}/")
    assert page.get_by_role("heading", name="GAD-7").is_visible()
    for i in range(1, 8):
        page.locator(f'input[name="gad7-{i}"][value="more_than_half"]').check()
    page.get_by_role("button", name="Send answers").click()
    assert page.get_by_role("heading", name="Thank you").is_visible()
    response = Response.objects.get()
    assert (response.total, response.band) == (14, "moderate")
    page.goto(f"/q/{raw}/")
    assert page.get_by_role("heading", name="This questionnaire has already been answered").is_visible()
