"""A German and a Spanish patient answer through their links on a tablet whose browser is set
to English: each reads the published wording in their own language, and the answers store
the same codes and score as English ones."""

import pytest
from django.utils import translation

from segmenta.conftest import make_patient
from segmenta.outcomes.models import AnswerLink, Response

pytestmark = pytest.mark.browser

WORDING = {
    "de": ("Wie oft fühlten Sie sich im Verlauf der letzten 2 Wochen durch die folgenden Beschwerden beeinträchtigt?",
           "Wenig Interesse oder Freude an Ihren Tätigkeiten", "An mehr als der Hälfte der Tage"),
    "es": ("Durante las últimas 2 semanas, ¿qué tan seguido ha tenido molestias debido a los siguientes problemas?",
           "Poco interés o placer en hacer cosas", "Más de la mitad de los días"),
}


@pytest.mark.parametrize("language", ["de", "es"])
def test_a_patient_answers_the_phq9_in_their_own_language(page, clinic, doctor, language):
    patient = make_patient(clinic, language=language)
    _link, raw = AnswerLink.issue(patient, "phq-9", doctor, hours=1)
    page.goto(f"/q/{raw}/")
    intro, item1, more_than_half = WORDING[language]
    assert page.locator("html").get_attribute("lang") == language
    assert page.get_by_text(intro).is_visible()
    page.locator(".field", has_text=item1).get_by_label(more_than_half).check()
    for i in range(2, 10):
        page.locator(f'input[name="phq9-{i}"][value="several_days"]').check()
    with translation.override(language):
        send, thanks = translation.gettext("Send answers"), translation.gettext("Thank you")
    page.get_by_role("button", name=send).click()
    assert page.get_by_role("heading", name=thanks, exact=True).is_visible()
    response = Response.objects.get(patient=patient)
    assert (response.total, response.band) == (10, "moderate")
    assert {i["linkId"]: i["answer"][0]["valueCoding"]["code"] for i in response.resource["item"]} == {
        "phq9-1": "more_than_half", **{f"phq9-{i}": "several_days" for i in range(2, 10)}}
