"""Questionnaires in the patient's language: the shipped instruments carry German and Spanish
as FHIR translation extensions, a patient's link opens in the patient's language whatever the
browser says, and answers in any language store the same codes and score."""

import copy
import json

import pytest
from django.urls import reverse
from django.utils import translation
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from segmenta.conftest import make_patient
from segmenta.outcomes.models import AnswerLink, Response
from segmenta.outcomes.scoring import instruments, scored_items
from segmenta.outcomes.translation import TRANSLATION_URL, localized, translations, untranslated

# The published German (PHQ-D, Löwe et al.) and Spanish (Pfizer, Spanish for the USA) wording.
PHQ9_ITEM1 = {"en": "Little interest or pleasure in doing things",
              "de": "Wenig Interesse oder Freude an Ihren Tätigkeiten",
              "es": "Poco interés o placer en hacer cosas"}
NEARLY_EVERY_DAY = {"en": "Nearly every day", "de": "Beinahe jeden Tag", "es": "Casi todos los días"}
PHQ9_ANSWERS = {"phq9-1": "several_days", "phq9-2": "more_than_half", "phq9-3": "nearly_every_day",
                "phq9-4": "several_days", "phq9-5": "not_at_all", "phq9-6": "several_days",
                "phq9-7": "more_than_half", "phq9-8": "not_at_all", "phq9-9": "not_at_all"}


def _structure(resource):
    """What scoring reads: linkIds, types, codes and ordinal values, in order."""
    return [(item["linkId"], item["type"], [(o["valueCoding"]["code"], o["valueCoding"]["extension"])
                                            for o in item.get("answerOption", [])]) for item in scored_items(resource)]


@pytest.mark.parametrize("instrument_id", sorted(instruments()))
def test_every_shipped_questionnaire_has_german_and_spanish_for_every_text_and_validates(instrument_id):
    resource = instruments()[instrument_id]
    assert untranslated(resource, ["de", "es"]) == []
    Questionnaire.model_validate(resource)
    for language in ("de", "es"):
        translated = localized(resource, language)
        Questionnaire.model_validate(translated)
        assert translated["language"] == language
        assert _structure(translated) == _structure(resource)  # the same answers score the same
        assert translated["item"] != resource["item"]


def test_translations_are_fhir_translation_extensions_on_the_elements():
    item = instruments()["phq-9"]["item"][0]
    extensions = item["_text"]["extension"]
    assert {e["url"] for e in extensions} == {TRANSLATION_URL}
    assert [[part["url"] for part in e["extension"]] for e in extensions] == [["lang", "content"]] * 2
    assert translations(item, "text") == {"de": PHQ9_ITEM1["de"], "es": PHQ9_ITEM1["es"]}
    parsed = Questionnaire.model_validate(instruments()["phq-9"])
    assert parsed.item[0].text__ext.extension[0].url == TRANSLATION_URL


def test_a_questionnaire_cites_the_source_of_each_language_version():
    for instrument_id in ("phq-9", "gad-7"):
        sources = translations(instruments()[instrument_id], "copyright")
        assert "Löwe" in sources["de"] and "Pfizer" in sources["es"], instrument_id


def test_a_missing_translation_is_named():
    resource = copy.deepcopy(instruments()["gad-7"])
    resource["item"][2]["_text"]["extension"].pop()
    assert untranslated(resource, ["de", "es"]) == ["item gad7-3 text: es"]


def test_an_untranslated_language_keeps_english_and_regional_variants_find_theirs():
    resource = instruments()["phq-9"]
    assert localized(resource, "fr")["item"][0]["text"] == PHQ9_ITEM1["en"]
    assert localized(resource, "de-AT")["item"][0]["text"] == PHQ9_ITEM1["de"]
    assert "language" not in localized(resource, "en")


@pytest.mark.parametrize("language", ["de", "es"])
def test_a_patients_link_opens_in_the_patients_language_whatever_the_browser(client, clinic, doctor, language):
    patient = make_patient(clinic, language=language)
    _link, raw = AnswerLink.issue(patient, "phq-9", doctor)
    page = client.get(reverse("outcomes:answer", args=[raw]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'<html lang="{language}">' in page
    assert PHQ9_ITEM1[language] in page and NEARLY_EVERY_DAY[language] in page
    assert PHQ9_ITEM1["en"] not in page
    with translation.override(language):
        assert translation.gettext("Send answers") in page


def test_answers_in_german_and_spanish_store_the_same_codes_and_score_as_in_english(client, clinic, doctor):
    stored = {}
    for language in ("en", "de", "es"):
        patient = make_patient(clinic, family=f"P-{language}", language=language)
        _link, raw = AnswerLink.issue(patient, "phq-9", doctor)
        sent = client.post(reverse("outcomes:answer", args=[raw]), PHQ9_ANSWERS)
        assert sent.status_code == 200
        with translation.override(language):
            assert translation.gettext("Thank you") in sent.content.decode()
        response = Response.objects.get(patient=patient)
        QuestionnaireResponse.model_validate(response.resource)
        codes = {i["linkId"]: i["answer"][0]["valueCoding"]["code"] for i in response.resource["item"]}
        stored[language] = (codes, response.total, response.band)
        first = response.resource["item"][0]
        assert first["text"] == PHQ9_ITEM1[language]  # the question as the patient read it
        assert response.resource.get("language", "en") == language
    assert stored["de"] == stored["es"] == stored["en"] == (PHQ9_ANSWERS, 10, "moderate")


def test_a_used_or_expired_link_says_so_in_the_patients_language(client, clinic, doctor):
    patient = make_patient(clinic, language="de")
    link, raw = AnswerLink.issue(patient, "nrs-11", doctor)
    client.post(reverse("outcomes:answer", args=[raw]), {"now": "3", "average": "4", "worst": "6"})
    page = client.get(reverse("outcomes:answer", args=[raw]), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    with translation.override("de"):
        assert translation.gettext("This questionnaire has already been answered") in page
    link2, raw2 = AnswerLink.issue(patient, "nrs-11", doctor, hours=-1)
    gone = client.get(reverse("outcomes:answer", args=[raw2]), HTTP_ACCEPT_LANGUAGE="es")
    assert gone.status_code == 410 and '<html lang="de">' in gone.content.decode()
    unknown = client.get(reverse("outcomes:answer", args=["no-such-token"]), HTTP_ACCEPT_LANGUAGE="es")
    assert '<html lang="es">' in unknown.content.decode()  # no patient known: the browser's language


def test_the_message_handing_over_a_link_is_in_the_patients_language(doctor_client, clinic):
    patient = make_patient(clinic, language="es")
    page = doctor_client.post(reverse("outcomes:link_create", args=[patient.pk]),
                              {"instrument": "nrs-11", "hours": "72"}, HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    handover = text[text.index('id="handover-text"'):]
    handover = handover[:handover.index("</p>")]
    assert 'lang="es"' in handover and "Intensidad del dolor (NRS-11)" in handover and clinic.name in handover
    assert page.context["url"] in handover


def test_staff_entering_answers_read_the_questionnaire_in_their_own_language(doctor_client, clinic):
    patient = make_patient(clinic, language="es")
    page = doctor_client.get(reverse("outcomes:enter", args=[patient.pk, "phq-9"]), HTTP_ACCEPT_LANGUAGE="de")
    assert PHQ9_ITEM1["de"] in page.content.decode()


def test_the_patients_copy_is_in_the_patients_language(doctor_client, clinic, doctor):
    from segmenta.conftest import reauthenticated

    patient = make_patient(clinic, language="de")
    _link, raw = AnswerLink.issue(patient, "phq-9", doctor)
    doctor_client.post(reverse("outcomes:answer", args=[raw]), PHQ9_ANSWERS)
    reauthenticated(doctor_client)
    page = doctor_client.get(reverse("outcomes:patient_copy", args=[patient.pk]), HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    with translation.override("de"):
        assert translation.gettext("Questionnaire answers") in text
        assert translation.gettext("Patient's copy of the chart") in text
    assert PHQ9_ITEM1["de"] in text and '<div class="patient-copy" lang="de">' in text
    assert json.loads(doctor_client.get(reverse("outcomes:patient_copy_json", args=[patient.pk])).content)


@pytest.mark.parametrize("instrument_id", sorted(instruments()))
def test_the_knowledge_base_says_where_each_language_version_comes_from(instrument_id):
    from segmenta.knowledge.base import load

    versions = load().get("instrument-threshold", instrument_id)["translations"]
    assert versions["de"].strip() and versions["es"].strip()


def test_clinicians_read_the_questionnaires_titles_in_their_own_language(doctor_client, clinic):
    patient = make_patient(clinic, language="es")
    page = doctor_client.get(reverse("outcomes:questionnaires", args=[patient.pk]), HTTP_ACCEPT_LANGUAGE="de")
    assert "Schmerzintensität (NRS-11)" in page.content.decode()
    assert ("nrs-11", "Schmerzintensität (NRS-11)") in page.context["link_form"].fields["instrument"].choices
