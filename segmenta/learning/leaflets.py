"""Patient leaflets: the knowledge base's texts (leaflets.yaml) in one language, with the
clinic's phone and the emergency number of its jurisdiction where a section says whom to
call, as HTML and as a printed PDF/A with the clinic's letterhead.

A leaflet is shown whole in one language: when the language asked for lacks any of its
texts (a clinic's own leaflet, or one it changed without translating), it is shown in
English and says so, never half in one language and half in another. Learn previews and
prints here; the documents app prints the same from a patient's chart and keeps the record.
"""

from datetime import date

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from segmenta.knowledge import crisis, localize, translations
from segmenta.pdf import ARCHIVAL, html_to_pdf

KIND = "leaflet"
STYLESHEET = "documents.css"
LANGUAGES = [code for code, _name in settings.LANGUAGES]


def all_of(kb):
    """(id, title) of every leaflet, in the active language."""
    return [(key, localize.text(entry)) for key, entry in kb.entries[KIND].items()]


def translated_into(entry, language):
    """Whether every text of the leaflet has its ``language`` translation (English always)."""
    if language == "en":
        return True
    marker = f": i18n.{language}"
    return not [problem for problem in translations.problems(KIND, "leaflets.yaml", entry) if marker in problem]


def emergency_number(kb, clinic):
    """(number, known): the emergency number of the clinic's jurisdiction (crisis_contacts.yaml)
    and whether it is that jurisdiction's own. When the clinic names none, or one the knowledge
    base does not know, it is the fallback's (112, Europe's) and ``known`` is False: the leaflet
    then tells the patient to call the local emergency number, not that 112 is theirs."""
    entries = kb.entries["crisis-contact"]
    entry = crisis.default_entry(getattr(clinic, "jurisdiction", ""), entries)
    return entry["emergency"], entry["id"] != crisis.FALLBACK


def content(kb, leaflet_id, language, clinic):
    """The leaflet's texts in ``language`` (else English, saying so) with whom to call, as the
    templates read it; None when there is no such leaflet."""
    entry = kb.get(KIND, leaflet_id)
    if entry is None:
        return None
    asked = localize.language(language)
    shown_in = asked if translated_into(entry, asked) else "en"
    text = translations.localized(entry, shown_in)
    sections = []
    for part in text["sections"]:
        sections.append({"heading": part["heading"], "paragraphs": part.get("paragraphs", []),
                         "bullets": part.get("bullets", []), "call": part.get("call", ""),
                         "evidence": part["evidence"], "sources": [
                             kb.source(key)["name"] for key in part["sources"] if kb.source(key)]})
    emergency, emergency_known = emergency_number(kb, clinic)
    return {"leaflet_id": leaflet_id, "title": text["name"], "summary": text["summary"], "sections": sections,
            "reviewed": date.fromisoformat(entry["reviewed"]), "language": shown_in, "asked": asked,
            "fallback": shown_in != asked, "sources": [kb.source(key)["name"] for key in entry["sources"]
                                                     if kb.source(key)],
            "clinic": clinic, "emergency": emergency, "emergency_known": emergency_known,
            "kb_version": kb.version}


def body(context):
    """The leaflet's HTML without the letterhead (what a preview shows under it), in the
    language it is shown in; the fallback note in the language that was asked for."""
    with translation.override(context["asked"]):
        note = render_to_string("learning/_leaflet_fallback.html", context) if context["fallback"] else ""
    with translation.override(context["language"]):
        return mark_safe(note + render_to_string("learning/leaflet.html", context))  # both rendered, escaped


def printed(context, body_html):
    """The PDF/A bytes of a leaflet with the clinic's letterhead."""
    with translation.override(context["language"]):
        html = render_to_string("documents/print.html", {
            "title": context["title"], "clinic": context["clinic"], "body": body_html,
            "language": context["language"], "made_at": timezone.localtime()})
    return html_to_pdf(html, STYLESHEET, ARCHIVAL)
