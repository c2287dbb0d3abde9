"""The engines' phrases (``segmenta.knowledge.phrases``) in the reader's language.

An engine's reason is English with its template and parameters beside it; here the
template goes through gettext (the catalogs translate it like any interface string), numbers
and dates take the language's form (``segmenta.l10n``: 1,5 and 01.03.2026 in German) and
terms the knowledge base's German or Spanish. English pages show the engine's own English.

Stored reasons (an injection's safety reasons, kept with a signed note) hold the English
``message`` and, since this was written, the phrase's data under ``phrase``: they show in
the reader's language when that is there, in their stored English otherwise. Nothing here
ever reads the English text to guess its translation.
"""

from contextlib import nullcontext
from datetime import date

from django.utils import formats, translation
from django.utils.translation import gettext

from segmenta import l10n

from . import localize
from .phrases import Phrase

PHRASE_KEYS = ({"t", "p"}, {"join", "parts"})


def is_phrase(value):
    """Is ``value`` a phrase's stored data ({"t", "p"} or {"join", "parts"})?"""
    return isinstance(value, dict) and set(value) in PHRASE_KEYS


def _day(iso, lang):
    if lang == "en":
        return iso
    parts = iso.split("-")
    try:
        if len(parts) == 3:
            return l10n.day(date.fromisoformat(iso))
        if len(parts) == 2:
            return formats.date_format(date(int(parts[0]), int(parts[1]), 1), "YEAR_MONTH_FORMAT")
    except ValueError:
        pass
    return iso


def day(iso, lang=None):
    """A case-format date, whole or partial ("2019-06-15", "2019-06", "2019"), as the language
    writes it: 15.06.2019, Juni 2019, 2019 in German; ISO in English."""
    return _day(iso, localize.language(lang)) if iso else ""


def _param(value, lang):
    if is_phrase(value):
        return _render(value, lang)
    if isinstance(value, dict) and "number" in value:
        return l10n.number(value["number"], places=value.get("places"))
    if isinstance(value, dict) and "date" in value:
        return _day(value["date"], lang)
    if isinstance(value, dict) and "words" in value:
        words = value["words"]
        return words.get(lang) or words.get("en", "")
    return str(value)


def _render(data, lang):
    if "join" in data:
        return data["join"].join(_param(part, lang) for part in data["parts"])
    template = data["t"]
    # A text that is all parameter ("%(text)s") is no catalog entry.
    translated = template if template == "%(text)s" else gettext(template)
    return translated % {name: _param(value, lang) for name, value in data["p"].items()}


def render(data, lang=None):
    """A phrase's data in ``lang`` (else the active language); in English when its
    translation does not fit its parameters."""
    code = localize.language(lang)
    with translation.override(code) if lang else nullcontext():
        try:
            return _render(data, code)
        except (KeyError, TypeError, ValueError):
            with translation.override("en"):
                return _render(data, "en")


def say(value, lang=None):
    """An engine's text (a phrase, a phrase's stored data, or plain text) for the reader."""
    if isinstance(value, Phrase):
        return str(value) if localize.language(lang) == "en" else render(value.data(), lang)
    if is_phrase(value):
        return render(value, lang)
    return "" if value is None else str(value)


def reason(found, lang=None):
    """A safety reason ({"code", "message", …}, live or stored) for the reader: its phrase
    in the reader's language where known, its English message otherwise."""
    message = found.get("message", found.get("code", ""))
    if isinstance(message, Phrase) or localize.language(lang) == "en":
        return say(message, lang)
    stored = found.get("phrase")
    if not is_phrase(stored):
        return str(message)
    try:
        return render(stored, lang)
    except (KeyError, TypeError, ValueError, AttributeError):  # a phrase kept damaged: its English
        return str(message)


def reasons(found, lang=None):
    """Several safety reasons in a row, as a message says them ("…; …")."""
    return "; ".join(reason(r, lang) for r in found)


def stored(found):
    """Safety reasons as an injection keeps them: each English message with its phrase's
    data beside it (the API and the case format show only the message)."""
    return [{**r, "phrase": r["message"].data()} if isinstance(r.get("message"), Phrase) else dict(r)
            for r in found]
