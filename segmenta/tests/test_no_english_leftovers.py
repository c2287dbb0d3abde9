"""Every page as a German and a Spanish user reads it: no text of ours left in English, no ISO
date and no decimal point before a unit in what is shown.

A text of ours left in English is a visible text (or a label a screen reader or tooltip reads)
that is exactly an English message of the catalogs while the catalog has another
translation for it (marked but shown untranslated: a lazy string turned into text too early),
or exactly the English name of a model field that has no label of its own (Django labels a
form field or the patient's copy with it). What people typed (names, complaints, notes) is no
message and never counts; nor do texts inside an element that says it is in another language
(``lang``), such as the patient's copy in the patient's language or a language's own name.
Dates inside date inputs stay ISO on purpose and are no text; codes stay as they are."""

import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import trans_real

from segmenta.conftest import login_verified, make_patient, reauthenticated
from segmenta.knowledge import localize
from segmenta.knowledge.base import load
from segmenta.patients.tests.test_query_counts import fill_chart
from segmenta.tests.pages import chart_items, readable_urls
from segmenta.patients.models import ChartReview
from segmenta.treatment.models import AdverseEvent, FollowUp, Injection, Session, TreatmentPlan

ISO_DATE = re.compile(r"\b(?:19|20)\d\d-[01]\d-[0-3]\d\b")
POINT_BEFORE_UNIT = re.compile(r"(?<![\d.])\d+\.\d+\s?(?:mg|mL|ml|kg|cm|%|h|min|s)\b")
ATTRIBUTES = ("placeholder", "aria-label", "title", "alt")
# Elements whose text is not shown as text: scripts, styles, what a person typed into a field.
HIDDEN = {"script", "style", "textarea"}
EMPTY = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr",
         "path", "line", "rect", "circle", "polyline", "polygon", "ellipse"}


class Texts(HTMLParser):
    """The visible texts of a page in its own language, each with where it stands."""

    def __init__(self, language):
        super().__init__(convert_charrefs=True)
        self.open = []  # (tag, language)
        self.language = language
        self.found = []

    def _in_language(self):
        return (self.open[-1][1] if self.open else self.language) == self.language

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        language = (attrs.get("lang") or (self.open[-1][1] if self.open else self.language)).split("-")[0]
        if tag not in EMPTY:
            self.open.append((tag, language))
        if language != self.language or any(t in HIDDEN for t, _lang in self.open):
            return
        for name in ATTRIBUTES:
            if attrs.get(name):
                self.found.append((f"{tag}@{name}", attrs[name].strip()))
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.found.append(("input@value", attrs["value"].strip()))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in EMPTY and self.open and self.open[-1][0] == tag:
            self.open.pop()

    def handle_endtag(self, tag):
        if any(t == tag for t, _lang in self.open):
            while self.open and self.open.pop()[0] != tag:
                pass

    def handle_data(self, data):
        if data.strip() and self._in_language() and not any(t in HIDDEN for t, _lang in self.open):
            self.found.append((self.open[-1][0] if self.open else "", " ".join(data.split())))


def untranslated_messages(language):
    """{English message: its translation} for every message the catalogs translate otherwise."""
    found = {}
    for key, translated in trans_real.translation(language)._catalog.items():
        msgid = key[0] if isinstance(key, tuple) else key
        msgid = msgid.split("\x04", 1)[-1].strip()
        words = any(c.isalpha() for c in msgid)  # "…" is punctuation in any language
        if words and isinstance(translated, str) and translated.strip() and translated.strip() != msgid:
            found[msgid] = translated
    # A language is named in its own language wherever one is chosen ("English", "Deutsch").
    for _code, name in settings.LANGUAGES:
        found.pop(str(name), None)
    # A field without a label of its own is labelled by Django with its English name ("Created by"):
    # English where the language says it otherwise, or where it is more than one word ("Name",
    # "Region", "Responder" read the same in German).
    other = {msgid.lower() for msgid, translated in found.items() if translated.strip().lower() != msgid.lower()}
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            name = str(field.verbose_name)
            if not isinstance(field.verbose_name, Promise) and (" " in name or name.lower() in other):
                found.setdefault(capfirst(name), "(a model field's own name)")
    return found


def _differing(english, translated, found):
    """Every English text of ``english`` whose counterpart in ``translated`` says it otherwise."""
    if isinstance(english, str) and isinstance(translated, str):
        if english.strip() != translated.strip() and len(english) >= KB_TEXT_LENGTH:
            found.add(" ".join(english.split()))
    elif isinstance(english, dict) and isinstance(translated, dict):
        for key, value in english.items():
            if key != "i18n":
                _differing(value, translated.get(key), found)
    elif isinstance(english, list) and isinstance(translated, list):
        for value, other in zip(english, translated):
            _differing(value, other, found)


KB_TEXT_LENGTH = 30  # shorter texts ("Hand", "Paraben") may read the same in both languages


def knowledge_texts(language):
    """The knowledge base's English texts that its data files translate otherwise into ``language``."""
    found = set()
    for entries in load().entries.values():
        for entry in entries.values():
            _differing(entry, localize.entry(entry, language), found)
    return {text[:KB_TEXT_LENGTH]: text for text in found}


def leftovers(html, language, messages, units=True, kb_texts=None):
    """(where, text, why) for each English message or knowledge-base text, ISO date or decimal
    point shown on a page."""
    parser = Texts(language)
    parser.feed(html)
    found = []
    for where, text in parser.found:
        english = (kb_texts or {}).get(text[:KB_TEXT_LENGTH])
        if text in messages:
            found.append((where, text, "English"))
        elif english and text.startswith(english):
            found.append((where, text, "English of the knowledge base"))
        elif ISO_DATE.search(text):
            found.append((where, text, "ISO date"))
        elif units and POINT_BEFORE_UNIT.search(text.replace("\u00a0", " ")):
            found.append((where, text, "decimal point"))
    return found


def test_the_check_finds_english_iso_dates_and_points_and_leaves_the_rest(db):
    messages = untranslated_messages("de")
    html = ('<html lang="de"><body><h1>Patients</h1><p>Patienten</p><p>seit 2026-03-01</p><p>2,5 mL</p>'
            '<p>2.5 mL</p><p>Claudia Berger</p><button aria-label="Save">x</button>'
            '<span lang="en">Patients</span><option>English</option><textarea>Patients</textarea>'
            '<input type="date" value="2026-03-01"><script>var x = "Patients";</script></body></html>')
    requirement = load().get("protocol", "emergency-equipment")["requirement"]
    html = html.replace("</body>", f"<p>{requirement} Prüfen Sie sie täglich.</p></body>")
    assert leftovers(html, "de", messages, kb_texts=knowledge_texts("de")) == [
        ("h1", "Patients", "English"), ("p", "seit 2026-03-01", "ISO date"), ("p", "2.5 mL", "decimal point"),
        ("button@aria-label", "Save", "English"),
        ("p", f"{requirement} Prüfen Sie sie täglich.", "English of the knowledge base")]


@pytest.fixture
def walked_chart(clinic, admin_user):
    """A chart with something of every kind, an adverse event and a follow-up, in a clinic whose
    admin walks every page (the clinic's and the members' pages too)."""
    patient = make_patient(clinic)
    fill_chart(patient, 2)
    # What people type is no message, even where it reads like one ("checked", a plan's default text).
    ChartReview.objects.filter(patient=patient).update(note="Liste durchgesehen")
    TreatmentPlan.objects.filter(patient=patient).update(approach="Segmenttherapie", review_rule="Neu beurteilen")
    session = Session.objects.filter(patient=patient).first()
    Session.objects.filter(patient=patient).exclude(pk=session.pk).update(practitioner=admin_user,
                                                                           signed_by=admin_user)
    injection = Injection.objects.filter(session=session).first()
    AdverseEvent.objects.create(session=session, injection=injection, kind="vasovagal", severity="mild",
                                causality="probable", outcome="recovered", occurred_at=session.started_at)
    FollowUp.objects.create(session=session, injection=injection, reported_at=timezone.now(),
                            relief_hours="2.5", reaction="none")
    return patient, session


def learn_pages():
    """The Learn index, a search and one page of every kind of the knowledge base."""
    kb = load()
    yield reverse("knowledge:index") + "?q=procain"
    for kind, entries in kb.entries.items():
        yield reverse("knowledge:kind", args=[kind])
        yield reverse("knowledge:entry", args=[kind, next(iter(entries))])


@pytest.mark.parametrize("language", ["de", "es"])
def test_no_page_shows_english_of_ours_an_iso_date_or_a_decimal_point(admin_user, walked_chart, language):
    from django.test import Client

    patient, session = walked_chart
    patient.language = language  # the patient's copy and consent texts then speak the page's language
    patient.save()
    admin_user.profile.language = language
    admin_user.profile.save()
    client = reauthenticated(login_verified(Client(), admin_user))
    messages, kb_texts = untranslated_messages(language), knowledge_texts(language)
    problems, seen = [], 0
    chart = list(readable_urls(patient, session, patient.plans.first(), chart_items(patient)))
    for url in [u for u in chart if not u.startswith(("/api/", "/admin/"))] + list(learn_pages()):
        response = client.get(url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        seen += 1
        # The Learn pages cite their sources by their own titles ("… 0.7 mL per cm"), in their language.
        found = leftovers(response.content.decode(), language, messages, units=not url.startswith("/learn/"),
                          kb_texts=kb_texts)
        problems += [(url, *problem) for problem in found]
    assert seen > 60
    assert problems == [], "\n".join(" | ".join(p) for p in problems)
