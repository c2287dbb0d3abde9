"""Numbers in the Learn monographs (doses, strengths, percentages) are written as the page's
language writes them: 0,5 % on German and Spanish pages, 0.5 % on English ones."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from segmenta.knowledge.monograph import number


@pytest.mark.parametrize("language, half, third", [("en", "0.5", "0.67"), ("de", "0,5", "0,67"), ("es", "0,5", "0,67")])
def test_a_monographs_number_uses_the_languages_decimal_mark(language, half, third):
    with translation.override(language):
        assert (number(0.5), number(2 / 3), number(1500), number(2.0)) == (half, third, "1500", "2")


@pytest.mark.parametrize("language, strengths", [("de", "0,5 %, 1 % und 2 %"), ("es", "0,5 %, 1 % y 2 %"),
                                                 ("en", "0.5 %, 1 % and 2 %")])
def test_the_procaine_page_writes_its_strengths_with_the_languages_decimal_mark(doctor_client, language, strengths):
    html = doctor_client.get(reverse("knowledge:entry", args=["drug", "procaine"]),
                             HTTP_ACCEPT_LANGUAGE=language).content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("\u00a0", " ")
    assert strengths in text
    table = text[text.index("mg/mL") - 20:text.index("mg/mL")]
    assert ("0,5 %" if language != "en" else "0.5 %") in table


@pytest.mark.parametrize("language, words", [
    ("de", ["lebensbedrohlich oder tödlich", "Mittelgradig"]),
    ("es", ["potencialmente mortal o mortal"]),
])
def test_coded_severities_and_bands_read_in_the_pages_language(doctor_client, language, words):
    """The pharmacovigilance protocol's serious severities and a questionnaire's bands are codes
    in the data files; their pages name them in the page's language, not as English words."""
    text = ""
    for entry in (["protocol", "pharmacovigilance"], ["instrument-threshold", "phq-9"]):
        html = doctor_client.get(reverse("knowledge:entry", args=entry), HTTP_ACCEPT_LANGUAGE=language)
        text += re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.content.decode()))
    for expected in words:
        assert expected in text, expected
    for english in ("life threatening", "Moderately severe"):
        assert english not in text, english


def test_a_per_target_limits_note_reads_in_the_pages_language(doctor_client):
    html = doctor_client.get(reverse("knowledge:entry", args=["drug", "lidocaine"]),
                             HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Grenze des Procains, zur Sicherheit angewandt" in html
    assert "procaine&#x27;s limit, applied to be safe" not in html and "procaine's limit" not in html
