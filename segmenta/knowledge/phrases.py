"""The engines' words for people: English now, the reader's language when shown.

Pure Python (no Django). An engine writes a reason as a ``Phrase``: a ``str`` that *is* the
English text (JSON, the API, the CLI and the case format see exactly that string) and also
carries its English template, with named placeholders, and the parameters that fill it.
The template lives once, in the engine, inside ``gettext_noop(…)`` so that ``makemessages``
extracts it into the catalogs; the Django shell (``segmenta.knowledge.wording``) renders it
through gettext in the page's language, with numbers and dates as that language writes them
and clinical terms in the knowledge base's German and Spanish.

Parameters are plain data, so a phrase can be stored (``Phrase.data()``, JSON) beside the
English text of a reason and shown again later in whatever language its reader uses:

- ``Number(1.5)``: a number; English as the engine always wrote it (``1.5``), German ``1,5``;
- ``Day("2026-03-01")``: a date, or a partial one ("2019-05", "2019"); ISO in English;
- ``Words({"en": …, "de": …, "es": …})``: a term in each language, taken from the knowledge
  base when the phrase is made (``term()`` for an entry's name, ``code()`` for a vocabulary
  code), so a stored reason names what the knowledge base said then;
- another ``Phrase`` (a reason inside a reason);
- a plain ``str`` or ``int``: said as it is in every language (a product's name, a lot).

``Phrase.joined(parts)`` is several phrases in a row ("…; …").
"""

from functools import cache

from segmenta.knowledge import translations, vocabulary

LANGUAGES = ("en", *translations.LANGUAGES)


def gettext_noop(message):
    """Marks ``message`` for the catalogs (xgettext knows this name) and returns it unchanged."""
    return message


class Number:
    """A number; ``places`` rounds it for other languages as ``english`` does in English."""

    def __init__(self, value, places=None, english=None):
        self.value, self.places = value, places
        self.english = english if english is not None else f"{value:g}"

    def data(self):
        return {"number": self.value, "places": self.places}


class Day:
    """A (possibly partial) ISO date: "2026-03-01", "2026-03" or "2026"."""

    def __init__(self, iso):
        self.iso = self.english = iso

    def data(self):
        return {"date": self.iso}


class Words:
    """A term in every language Segmenta offers ({"en": …, "de": …, "es": …})."""

    def __init__(self, by_language):
        self.by_language = dict(by_language)
        self.english = self.by_language["en"]

    def data(self):
        return {"words": self.by_language}


def _lower_first(text):
    """"Procaína" → "procaína" inside a Spanish sentence; an acronym stays as it is."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _at(value, path):
    for step in path:
        value = value[step]
    return value


def term(entry, field="name", lower=False, inside=False):
    """A knowledge-base entry's text (its name, or the text at a path such as
    ``("interactions", 0, "effect")``) in every language. ``inside`` a sentence Spanish
    starts it in lower case ("ganglio estrellado"); ``lower`` lowercases the English too, as
    the engine writes it there. German keeps its capitals (its nouns have them)."""
    if isinstance(field, str):  # a top-level text: no need to translate the whole entry
        found = {lang: translations.text(entry, field, lang) for lang in LANGUAGES}
    else:
        found = {lang: _at(translations.localized(entry, lang), field) for lang in LANGUAGES}
    if lower or inside:
        found["es"] = _lower_first(found["es"])
    if lower:
        found["en"] = found["en"].lower()
    return Words(found)


@cache
def _codes(kind):
    return frozenset(vocabulary.codes(kind))


def code(kind, value, english=None, lower=False):
    """A vocabulary code ("atrial_fibrillation") as the engine writes it in English
    ("atrial fibrillation", or ``english``) and as the vocabulary labels it in German and
    Spanish, inside a sentence (Spanish in lower case; German too with ``lower``, for words
    that are no nouns, like sides); a code the vocabulary does not hold reads as its words."""
    words = value.replace("_", " ")
    known = value in _codes(kind)
    found = {lang: vocabulary.translated(kind, value, lang) if known else words for lang in LANGUAGES}
    # A word Spanish took from English's label as it is ("Heilpraktiker") keeps its capital.
    borrowed = known and found["es"] == vocabulary.label(kind, value)
    found = {lang: _lower_first(text) if (lang == "es" and not borrowed) or (lower and lang != "en") else text
             for lang, text in found.items()}
    return Words({**found, "en": words if english is None else english})


def _english(value):
    if isinstance(value, Phrase):
        return str(value)
    if isinstance(value, (Number, Day, Words)):
        return value.english
    return value


def _data(value):
    if isinstance(value, Phrase):
        return value.data()
    if isinstance(value, (Number, Day, Words)):
        return value.data()
    return value


class Phrase(str):
    """English text that remembers how it was made: ``template % params``."""

    def __new__(cls, template, **params):
        phrase = super().__new__(cls, template % {name: _english(value) for name, value in params.items()})
        phrase.template, phrase.params, phrase.parts = template, params, None
        return phrase

    @classmethod
    def text(cls, words):
        """A text that is all parameter: a knowledge-base text (a drug interaction's effect)
        said as it is, in each language."""
        return cls("%(text)s", text=words)

    @classmethod
    def joined(cls, parts, separator="; "):
        """Several phrases in a row; plain strings among them stay as they are."""
        flat = []
        for part in parts:
            flat.extend(part.parts if isinstance(part, Phrase) and part.parts is not None else [part])
        phrase = super().__new__(cls, separator.join(_english(part) for part in flat))
        phrase.template, phrase.params, phrase.parts, phrase.separator = None, {}, flat, separator
        return phrase

    def data(self):
        """The phrase as JSON data: {"t": template, "p": {name: parameter}} or, for a row of
        phrases, {"join": separator, "parts": [...]}."""
        if self.parts is not None:
            return {"join": self.separator, "parts": [_data(part) for part in self.parts]}
        return {"t": self.template, "p": {name: _data(value) for name, value in self.params.items()}}


def data(value):
    """A reason text as stored beside its English: the phrase's data, or None for plain text."""
    return value.data() if isinstance(value, Phrase) else None
