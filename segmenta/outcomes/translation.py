"""Questionnaires in the patient's language.

Pure Python (no Django). A shipped Questionnaire (``instruments/``) is written in English;
its German and Spanish texts sit beside each translated element as FHIR's ``translation``
extension on the element's primitive extension (``"_text"``, ``"_display"``, ``"_title"``,
``"_description"``, ``"_copyright"``)::

    "text": "Little interest or pleasure in doing things",
    "_text": {"extension": [{"url": TRANSLATION_URL, "extension": [
        {"url": "lang", "valueCode": "de"},
        {"url": "content", "valueString": "Wenig Interesse oder Freude an Ihren Tätigkeiten"}]}, …]}

Only texts change with the language: linkIds, codes, ordinal values and scoring rules are
the same in every language, so answers score alike whatever language they were given in.
"""

import copy

TRANSLATION_URL = "http://hl7.org/fhir/StructureDefinition/translation"
# The elements a patient reads, where a translation is expected.
TRANSLATED = ("title", "description", "copyright", "text", "display")


def translations(element, key):
    """``{language: text}`` of ``element[key]``'s translation extensions."""
    found = {}
    for extension in (element.get("_" + key) or {}).get("extension", []):
        if extension.get("url") != TRANSLATION_URL:
            continue
        parts = {part.get("url"): part for part in extension.get("extension", [])}
        language = parts.get("lang", {}).get("valueCode")
        content = parts.get("content", {}).get("valueString")
        if language and content:
            found[language] = content
    return found


def _pick(found, language):
    """The translation for ``language`` ("de"), also asked as a regional variant ("de-AT")."""
    if not language:
        return None
    return found.get(language) or found.get(language.split("-")[0].lower())


def text_in(element, key, language):
    """``element[key]`` in ``language``, else as written (English)."""
    return _pick(translations(element, key), language) or element.get(key)


def localized(resource, language):
    """A copy of ``resource`` with every translated text in ``language`` (English, the
    source, stays where a text has no translation into it), and ``language`` set."""
    out = copy.deepcopy(resource)
    if not language or language.split("-")[0] == "en":
        return out

    def walk(node):
        if isinstance(node, dict):
            for key in TRANSLATED:
                if isinstance(node.get(key), str):
                    text = _pick(translations(node, key), language)
                    if text:
                        node[key] = text
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(out)
    out["language"] = language.split("-")[0]
    return out


def untranslated(resource, languages):
    """Where a text the patient reads lacks a translation: ["item phq9-1 text: es", …]."""
    missing = []

    def need(node, key, where):
        if node.get(key):
            have = translations(node, key)
            missing.extend(f"{where} {key}: {language}" for language in languages if not have.get(language))

    for key in ("title", "description", "copyright"):
        need(resource, key, resource.get("id", "Questionnaire"))

    def walk(items):
        for item in items:
            need(item, "text", f"item {item.get('linkId')}")
            for option in item.get("answerOption", []):
                coding = option.get("valueCoding") or {}
                need(coding, "display", f"item {item.get('linkId')} option {coding.get('code')}")
            walk(item.get("item", []))

    walk(resource.get("item", []))
    return missing
