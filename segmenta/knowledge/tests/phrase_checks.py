"""Checks the engines' phrase tests share: every template an engine marks, rendered in German
and Spanish with parameters of the kinds the engine gives, says it all in that language."""

import ast
import inspect
import re

import pytest
from django.utils import translation
from django.utils.translation import trans_real

from segmenta.knowledge import wording

# A parameter's kind by its name in the templates (per engine where a name means two things).
NUMBERS = {"mg", "limit", "total", "share", "given", "ml", "least", "most", "hours", "days", "since", "years",
           "relief", "needed", "earlier", "months", "onset"}
DATES = {"date"}
PLAIN = {"lot", "jurisdiction", "segment", "segments", "territory", "age", "user", "performer", "licence", "clinic",
         "conditions"}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# English that stays English in a German or Spanish reason: names, units, abbreviations.
KEPT = {"INR", "PABA", "Huneke", "Head", "mg", "mL", "h", "s", "paravertebral"}


def marked(module):
    """The English templates ``module`` marks with gettext_noop, in source order."""
    found = []
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "gettext_noop":
            if node.args[0].value not in found:
                found.append(node.args[0].value)
    return found


def merged(module):
    """Skips a test of ``module``'s phrases in German and Spanish while none of its templates is
    in the catalogs yet (new strings reach the catalogs when they are merged; until then
    test_the_catalogs_hold_every_string_the_code_marks fails for them). Once most are there
    (a few short ones, like "unknown", were there before), every one must be."""
    templates = marked(module)
    for language in ("de", "es"):
        catalog = trans_real.translation(language)._catalog
        if sum(template in catalog for template in templates) < len(templates) / 2:
            pytest.skip(f"the {language} of {module.__name__}'s phrases is not merged into the catalogs yet")


def _value(name, index, dates_too):
    if name in DATES or (name in dates_too):
        return {"date": "2026-03-01"}, {"de": "01.03.2026", "es": "01/03/2026"}
    if name in NUMBERS:
        return {"number": 2.5 + index, "places": None}, {"de": f"{2 + index},5", "es": f"{2 + index},5"}
    if name in PLAIN:
        return f"plain{index}", {"de": f"plain{index}", "es": f"plain{index}"}
    words = {"en": f"english{index}", "de": f"deutsch{index}", "es": f"espanol{index}"}
    return {"words": words}, words


def english_left(template, text):
    """Runs of two or more English words of ``template`` still in ``text``."""
    left = []
    for fragment in PLACEHOLDER.split(template)[::2]:
        words = [w for w in re.findall(r"[A-Za-z']+", fragment) if w not in KEPT]
        for first, second in zip(words, words[1:]):
            if re.search(rf"\b{re.escape(first)}\W+{re.escape(second)}\b", text):
                left.append(f"{first} {second}")
        if len(words) == 1 and len(words[0]) > 3 and re.search(rf"\b{re.escape(words[0])}\b", text):
            left.append(words[0])
    return left


def problems(templates, language, dates_too=()):
    """What is wrong with each template in ``language``: untranslated, English left,
    a placeholder lost, a number without the decimal comma."""
    found = []
    with translation.override(language):
        catalog = trans_real.translation(language)._catalog
        for template in templates:
            if template not in catalog:
                found.append((template, "not in the catalog"))
                continue
            params, expected = {}, []
            for index, name in enumerate(dict.fromkeys(PLACEHOLDER.findall(template))):
                params[name], shown = _value(name, index, dates_too)
                expected.append(shown[language])
            text = wording.render({"t": template, "p": params}, language)
            words = [w for w in re.findall(r"[A-Za-z']+", PLACEHOLDER.sub(" ", template)) if w not in KEPT]
            if catalog[template] == template and words:
                found.append((template, f"reads as in English: {text}"))
            for word in english_left(template, text):
                found.append((template, f"English left ({word}): {text}"))
            for shown in expected:
                if shown not in text:
                    found.append((template, f"{shown} missing: {text}"))
    return found
