"""Patient leaflets: the knowledge base's texts in English, German and Spanish, printed as
PDF/A with the clinic's letterhead and phone, the emergency number of the clinic's
jurisdiction where a section says to call it, English (saying so) where a leaflet lacks the
language asked for, and kb validate refusing a leaflet without its translations or sources."""

import html
import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from segmenta.accounts.models import Clinic
from segmenta.knowledge.base import load
# kb validate on a copy of the data files, as the knowledge base's own tests run it.
from segmenta.knowledge.tests.test_kb_translations import data_copy, edit, invalid  # noqa: F401 (a fixture)
from segmenta.learning import leaflets

SHIPPED = ("what-is-neural-therapy", "what-happens-at-a-session", "after-your-injection")


def text_of(pdf):
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


@pytest.fixture
def phoned_clinic(db):
    return Clinic.objects.create(name="Praxis am Park", phone="+49 30 7654321", jurisdiction="DE",
                                 address="Parkweg 3\n10115 Berlin")


def test_the_three_leaflets_are_shipped_with_a_review_date():
    kb = load()
    assert set(SHIPPED) <= set(kb.entries["leaflet"])
    for leaflet_id in SHIPPED:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", kb.get("leaflet", leaflet_id)["reviewed"])


@pytest.mark.parametrize("language", ["en", "de", "es"])
@pytest.mark.parametrize("leaflet_id", SHIPPED)
def test_each_leaflet_prints_in_each_language_with_its_title_and_the_clinics_phone(phoned_clinic, leaflet_id,
                                                                                   language):
    kb = load()
    context = leaflets.content(kb, leaflet_id, language, phoned_clinic)
    assert (context["language"], context["fallback"]) == (language, False)
    pdf = leaflets.printed(context, leaflets.body(context))
    assert pdf.startswith(b"%PDF-")
    text = text_of(pdf)
    title = kb.get("leaflet", leaflet_id)["name"] if language == "en" else \
        kb.get("leaflet", leaflet_id)["i18n"][language]["name"]
    assert title in text
    assert "+49 30 7654321" in text
    assert "Praxis am Park" in text


def test_the_german_leaflet_reads_german_and_not_english(phoned_clinic):
    context = leaflets.content(load(), "what-is-neural-therapy", "de", phoned_clinic)
    body = leaflets.body(context)
    assert "Wie gut ist die Wirkung belegt?" in body
    assert "How good is the evidence?" not in body
    assert 'class="leaflet-fallback' not in body


def test_whom_to_call_prints_the_clinics_phone_and_the_emergency_number_of_its_jurisdiction(phoned_clinic):
    kb = load()
    body = leaflets.body(leaflets.content(kb, "after-your-injection", "en", phoned_clinic))
    assert "Praxis am Park, phone +49 30 7654321" in body
    assert "Emergency number 112" in body
    phoned_clinic.jurisdiction = "US-OR"
    body = leaflets.body(leaflets.content(kb, "after-your-injection", "en", phoned_clinic))
    assert "Emergency number 911" in body and "Emergency number 112" not in body


@pytest.mark.parametrize("jurisdiction", ["CO", "MX", ""])
def test_a_jurisdiction_the_knowledge_base_does_not_know_gets_no_emergency_number_as_if_it_were_its_own(
        phoned_clinic, jurisdiction):
    phoned_clinic.jurisdiction = jurisdiction  # Colombia's is 123, Mexico's 911: 112 is Europe's
    body = leaflets.body(leaflets.content(load(), "after-your-injection", "en", phoned_clinic))
    assert "Emergency number 112" not in body
    assert "Your local emergency number (112 in Europe)" in body


def test_a_clinic_without_a_phone_is_not_given_an_empty_number(db):
    clinic = Clinic.objects.create(name="Praxis ohne Telefon")
    body = leaflets.body(leaflets.content(load(), "after-your-injection", "de", clinic))
    numbers = re.findall(r'<p class="leaflet-number">(.*?)</p>', body)
    assert len(numbers) == 2 and not re.search(r"phone\s*$", numbers[0]) and "Praxis ohne Telefon" not in numbers[0]
    assert "112" in numbers[1]


def test_the_learn_page_says_whom_a_call_section_names_as_every_leaflet_prints_it(doctor_client, db):
    # A clinic with no phone and a jurisdiction the knowledge base does not know prints the fallbacks.
    clinic = Clinic.objects.create(name="Praxis ohne Telefon", jurisdiction="CO")
    leaflet = leaflets.body(leaflets.content(load(), "after-your-injection", "en", clinic))
    assert "Use the phone number your practice gave you." in leaflet
    assert "Your local emergency number (112 in Europe)" in leaflet
    page = html.unescape(doctor_client.get(reverse("knowledge:entry", args=["leaflet", "after-your-injection"]))
                         .content.decode())
    assert ("Printed with the clinic's phone; a clinic that has entered none asks the patient to use the phone "
            "number the practice gave them.") in page
    assert ("Printed with the emergency number of the clinic's jurisdiction; where the knowledge base has none "
            "for it, the leaflet says to call the local emergency number and names Europe's beside it.") in page


def own_leaflet_kb():
    """The shipped base with a clinic's own leaflet, in English only."""
    own = {"name": "Our parking", "summary": "Where to park.", "reviewed": "2026-11-01",
           "sections": [{"heading": "Parking", "paragraphs": ["Behind the house."], "sources": [],
                         "evidence": "no_source"}], "sources": [], "evidence": "no_source"}
    return load().with_overrides([("leaflet", "our-parking", own, "the clinic's own leaflet")])


def test_a_leaflet_without_the_language_asked_for_is_shown_in_english_and_says_so(phoned_clinic):
    context = leaflets.content(own_leaflet_kb(), "our-parking", "es", phoned_clinic)
    assert (context["language"], context["asked"], context["fallback"]) == ("en", "es", True)
    body = leaflets.body(context)
    assert "Behind the house." in body
    # The note names the language asked for (in that language: the patient's), the leaflet is English.
    note = re.search(r'<p class="notice leaflet-fallback"[^>]*>(.*?)</p>', body).group(1)
    assert "español" in note.lower()
    assert "English" in note or "inglés" in note  # the note's own words: English until the catalogs have it
    english = leaflets.content(own_leaflet_kb(), "our-parking", "en", phoned_clinic)
    assert english["fallback"] is False and "leaflet-fallback" not in leaflets.body(english)


def test_a_partly_translated_leaflet_is_not_mixed_with_english(phoned_clinic):
    kb = load().with_overrides([("leaflet", "what-is-neural-therapy", {"summary": "Our own words."}, "clinic")])
    context = leaflets.content(kb, "what-is-neural-therapy", "de", phoned_clinic)
    assert context["fallback"] is True and context["title"] == "What is neural therapy?"


def test_kb_validate_names_a_missing_translation_of_a_leaflet(data_copy, capsys):
    edit(data_copy / "leaflets.yaml", "      name: Nach Ihrer Injektion\n", "")
    edit(data_copy / "leaflets.yaml", "            - Un pequeño moratón, más frecuente si toma anticoagulantes.\n", "")
    err = invalid(data_copy, capsys)
    assert "leaflets.yaml: leaflet 'after-your-injection': i18n.de.name: no German text for 'After your injection'" \
        in err
    assert "i18n.es.sections[0].bullets[2]: no Spanish text" in err


def test_kb_validate_refuses_a_leaflet_section_without_known_or_listed_sources(data_copy, capsys):
    edit(data_copy / "leaflets.yaml", "      sources: [egli-2015]\n", "      sources: [egli-2015, no-such-source]\n")
    err = invalid(data_copy, capsys)
    assert "section 'How many sessions?': unknown source 'no-such-source'" in err
    assert "section 'How many sessions?' cites 'no-such-source', which the leaflet's sources do not list" in err


def test_kb_validate_refuses_a_disputed_leaflet_section_that_names_no_source(data_copy, capsys):
    edit(data_copy / "leaflets.yaml", "      sources: [egli-2015]\n      evidence: case_series\n",
         "      sources: []\n      evidence: disputed\n")
    assert "section 'How many sessions?' has no source, so its evidence must say 'no_source'" in invalid(data_copy,
                                                                                                       capsys)


def test_kb_validate_refuses_a_review_date_that_is_no_day(data_copy, capsys):
    edit(data_copy / "leaflets.yaml", '  reviewed: "2026-11-29"\n  sections:\n    - heading: Before the injection',
         '  reviewed: "2026-02-30"\n  sections:\n    - heading: Before the injection')
    assert "leaflet 'what-happens-at-a-session': reviewed: '2026-02-30' is no date" in invalid(data_copy, capsys)


def test_kb_validate_refuses_a_leaflet_without_a_review_date(data_copy, capsys):
    edit(data_copy / "leaflets.yaml", '  reviewed: "2026-11-29"\n  sections:\n    - heading: Before the injection',
         "  sections:\n    - heading: Before the injection")
    err = invalid(data_copy, capsys)
    assert "leaflet 'what-happens-at-a-session': entry: 'reviewed' is a required property" in err


def test_the_learn_list_offers_each_leaflet_in_each_language(doctor_client):
    page = doctor_client.get(reverse("learning:leaflets")).content.decode()
    for leaflet_id in SHIPPED:
        for language in ("en", "de", "es"):
            assert f'/learn/leaflets/{leaflet_id}/?language={language}"' in page
    assert "What happens at a session" in page


def test_the_learn_preview_shows_the_language_chosen_with_its_evidence(doctor_client, clinic):
    clinic.phone = "+49 40 111222"
    clinic.save()
    response = doctor_client.get(reverse("learning:leaflet", args=["after-your-injection"]), {"language": "es"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Después de su inyección" in page and "+49 40 111222" in page
    assert 'href="/learn/leaflets/after-your-injection.pdf?language=es"' in page
    assert "Drug label" in page and "Expert opinion" in page  # each section's evidence, for the practitioner
    assert '<p class="leaflet-number">Praxis Nord, teléfono +49 40 111222</p>' in page  # the leaflet's HTML (in Spanish), not escaped


def test_the_learn_pdf_downloads_in_the_language_chosen(doctor_client, clinic):
    response = doctor_client.get(reverse("learning:leaflet_pdf", args=["what-happens-at-a-session"]),
                                 {"language": "de"})
    assert response["Content-Type"] == "application/pdf"
    assert "Was bei einer Sitzung geschieht" in text_of(response.content)


def test_an_unknown_leaflet_or_language_is_refused_plainly(doctor_client):
    assert doctor_client.get(reverse("learning:leaflet", args=["no-such-leaflet"])).status_code == 404
    response = doctor_client.get(reverse("learning:leaflet", args=["after-your-injection"]), {"language": "xx"})
    assert response.status_code == 200 and "After your injection" in response.content.decode()


def test_the_leaflets_need_a_login(client, db):
    response = client.get(reverse("learning:leaflets"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
