"""Coded vocabularies of the case format, loaded from ``data/vocabulary.json``.

Pure Python (no Django): the engines and the Django shell share it.
"""

import json
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "vocabulary.json"


@cache
def _load():
    with DATA.open(encoding="utf-8") as fh:
        return json.load(fh)


def codes(kind):
    """The codes of one vocabulary, in their documented order."""
    return list(_load()[kind])


def label(kind, code):
    return _load()[kind][code]


def choices(kind):
    """(code, English label) pairs, for model and form choices."""
    return list(_load()[kind].items())


def translated(kind, code, lang):
    """A code's label in ``lang`` (German or Spanish from the file's ``i18n`` block); the English
    label for English, for a language the file does not hold, and for codes that are their own
    labels (spinal segments, tooth numbers)."""
    text = _load().get("i18n", {}).get(lang, {}).get(kind, {}).get(code)
    return text or label(kind, code)
