"""German and Spanish beside the English of the knowledge base.

English stays where it is: an entry's ``name``, ``note``, ``location``… are the English
text, and every code, id, number, dose and unit stays the single value the engines read.
The other languages sit beside it in the same entry, under ``i18n``, one block per language
that repeats the shape of the entry's text fields and holds nothing else::

    - id: stellate
      name: Stellate ganglion
      indications: [CRPS of arm or face, angina]
      volume_ml: {min: 5, max: 10, note: in ultrasound studies}
      i18n:
        de: {name: Ganglion stellatum, indications: [CRPS an Arm oder Gesicht, Angina pectoris],
             volume_ml: {note: in Ultraschallstudien}}
        es: {name: ganglio estrellado, …}

A list is translated item by item (same length, same order); in a list of objects each item
translates its own text fields (``indication_evidence: [{indication: …, note: …}, …]``).
Keeping a translation next to its English (rather than in a catalog per language) means an
editor who changes a text sees its translations in the same place, a reviewer sees all three
side by side, and a clinic override of an entry carries its own translations the same way.

Which fields are text is said once, per kind, in ``TEXT_FIELDS``: anything else under
``i18n`` (a dose, a code) is refused, so a translation can never change what the engines
read. ``problems()`` names every missing or empty translation (``segmenta kb validate``
fails on them); ``localized()`` gives an entry in a language, falling back to English for a
language Segmenta does not offer and, in a clinic's override, for a text the clinic changed
without translating it.

The vocabularies (``vocabulary.json``) keep their English labels by code and hold the other
languages under a top-level ``i18n``: ``{"de": {"region": {"head": "Kopf"}}, "es": …}``.

Pure Python (no Django): the active language comes from the caller
(``segmenta.knowledge.localize`` for the Django shell).
"""

import copy

LANGUAGES = ("de", "es")  # besides English, the source
LANGUAGE_NAMES = {"de": "German", "es": "Spanish"}

# Per kind, the fields a person reads: "a.b" a field of an object, "a[]" every item of a
# list of texts, "a[].b" a field of every object in a list, "a.*.b" a field under any key.
TEXT_FIELDS = {
    "segment": ["key_point"],
    "organ": ["name", "note", "maps[].note", "maps[].head_zone_area", "maps[].parasympathetic_note",
              "maps[].referral_note"],
    "region": ["name", "note"],
    "choir-segment": ["name", "label"],
    "ganglion": ["name", "note", "location", "indications[]", "indications_note", "complications[]",
                 "complications_note", "contraindications_text[]", "related_warnings[]", "serves_note",
                 "success_sign", "success_sign_note", "volume_ml.note", "indication_evidence[].indication",
                 "indication_evidence[].best_evidence", "indication_evidence[].note"],
    "technique": ["name", "note", "asra_note", "limit_basis", "limits.*.note"],
    "field-category": ["name", "note", "examples[]", "prior_note", "trigeminal_note"],
    "drug": ["name", "note", "atypical_cholinesterase", "metabolism", "half_life_note", "cautions.text[]",
             "contraindications.text[]", "interactions[].effect", "label_warnings[]",
             "limits.session_note", "limits.per_kg_note", "limits.head_neck_genital.note",
             "limits.reduce_for_conditions.note"],
    "protocol": ["name", "note", "signs[]", "signs.neurological[]", "signs.cardiac[]", "management[]",
                 "lipid_emulsion.if_unstable", "incidence", "advice", "adrenaline.route", "rule", "items[].name",
                 "requirement", "criteria_to_state[]", "criteria.site", "criteria.reproducible", "negative_test",
                 "course", "test_practice", "looser_definition", "thresholds_note"],
    "red-flag": ["name", "note", "action"],
    "red-flag-area": ["name", "note"],
    "study": ["name", "note", "about", "design", "size", "outcomes", "result"],
    "scope-rule": ["name", "note", "rule"],
    "instrument-threshold": ["name", "note", "scoring", "alerts[].message", "alerts[].note"],
    "safety-rule": ["name", "note", "rule"],
    "bleeding-agent": ["name", "hold_note"],
    "test-method": ["name", "description", "reliability"],
    "tracing-weight": ["name", "description", "note"],
    "crisis-contact": ["name", "note", "contacts[].name"],
    "retention": ["name", "note"],
    "recall-rule": ["name", "note"],
    "membrane-model": ["name", "note", "presets[].name", "presets[].note"],
    "membrane-text": ["name", "note", "text", "assessment"],
    "vignette": ["name", "note", "story", "questions[].question", "questions[].answer", "commentary"],
    "course-module": ["name", "note", "objectives[]", "questions[].text", "questions[].options[].text",
                      "questions[].explanation"],
    "leaflet": ["name", "note", "summary", "sections[].heading", "sections[].paragraphs[]", "sections[].bullets[]"],
    "code": ["name", "note"],
    "field-code": ["name", "note"],
    "substance-code": ["name", "note"],
    "fee-schedule": ["name", "note", "factor.note", "vat_exemption_note"],
    "fee-code": ["name", "note"],
    "awarding-body": ["name", "note"],
    "cme-requirement": ["name", "note", "not_counted"],
}
# Vocabularies whose labels are the codes themselves (spinal segments, FDI tooth numbers).
UNTRANSLATED_VOCABULARIES = ("segment", "tooth")


def _steps(pattern):
    return pattern.replace("[]", ".[]").split(".")


def texts(entry, pattern):
    """[(path, English text)] of one field pattern in an entry; a path is a tuple of keys and
    list positions."""
    found = []

    def walk(value, steps, path):
        if not steps:
            if isinstance(value, str):
                found.append((path, value))
            return
        step, rest = steps[0], steps[1:]
        if step == "[]":
            if isinstance(value, list):
                for index, item in enumerate(value):
                    walk(item, rest, (*path, index))
        elif isinstance(value, dict):
            keys = list(value) if step == "*" else [step] if step in value else []
            for key in keys:
                walk(value[key], rest, (*path, key))

    walk(entry, _steps(pattern), ())
    return found


def all_texts(kind, entry):
    return [found for pattern in TEXT_FIELDS.get(kind, ()) for found in texts(entry, pattern)]


def _at(value, path):
    for step in path:
        if isinstance(step, int):
            if not isinstance(value, list) or step >= len(value):
                return None
        elif not isinstance(value, dict) or step not in value:
            return None
        value = value[step]
    return value


def _where(path):
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def _leaves(value, path=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path, value


def problems(kind, filename, entry):
    """Every missing, empty or misplaced translation of one shipped entry, each naming the
    file, the entry and the field."""
    found = []
    name = f"{filename}: {kind} {entry.get('id')!r}"
    english = all_texts(kind, entry)
    blocks = entry.get("i18n", {})
    if not isinstance(blocks, dict):
        return [f"{name}: i18n: expected a block per language ({', '.join(LANGUAGES)})"]
    for lang in LANGUAGES:
        block = blocks.get(lang)
        if english and not isinstance(block, dict):
            found.append(f"{name}: i18n.{lang}: no {LANGUAGE_NAMES[lang]} text at all")
            continue
        for path, text in english:
            translated = _at(block, path)
            if not text.strip():
                continue
            if not isinstance(translated, str):
                found.append(f"{name}: i18n.{lang}.{_where(path)}: no {LANGUAGE_NAMES[lang]} text for {text!r}")
            elif not translated.strip():
                found.append(f"{name}: i18n.{lang}.{_where(path)}: the {LANGUAGE_NAMES[lang]} text is empty")
        known = {path for path, _text in english}
        for path, _value in _leaves(block or {}):
            if path not in known:
                found.append(f"{name}: i18n.{lang}.{_where(path)}: not a text field of this entry "
                             "(only its English texts are translated)")
    for lang in blocks:
        if lang not in LANGUAGES:
            found.append(f"{name}: i18n.{lang}: not a language Segmenta offers ({', '.join(LANGUAGES)})")
    return found


def vocabulary_problems(data):
    """Every vocabulary label without its German or Spanish label, or with an empty one."""
    found = []
    blocks = data.get("i18n", {})
    for kind, labels in data.items():
        if not isinstance(labels, dict) or kind == "i18n" or kind in UNTRANSLATED_VOCABULARIES:
            continue
        for lang in LANGUAGES:
            translated = blocks.get(lang, {}).get(kind, {})
            for code, english in labels.items():
                text = translated.get(code)
                if not isinstance(text, str) or not text.strip():
                    found.append(f"vocabulary.json: {kind} {code!r}: i18n.{lang}.{kind}.{code}: "
                                 f"no {LANGUAGE_NAMES[lang]} label for {english!r}")
            for code in set(translated) - set(labels):
                found.append(f"vocabulary.json: {kind} {code!r}: i18n.{lang}.{kind}.{code}: no such code")
    return found


def _overlay(english, translated):
    if isinstance(english, dict) and isinstance(translated, dict):
        return {key: _overlay(value, translated[key]) if key in translated else value
                for key, value in english.items()}
    if isinstance(english, list) and isinstance(translated, list) and len(english) == len(translated):
        return [_overlay(e, t) for e, t in zip(english, translated, strict=True)]
    if isinstance(english, str) and isinstance(translated, str) and translated.strip():
        return translated
    return english


def localized(entry, lang):
    """The entry with its texts in ``lang``: English for "en", for a language Segmenta does not
    offer, and for any text that has no translation (a clinic's own, untranslated text)."""
    block = (entry.get("i18n") or {}).get(lang) if isinstance(entry, dict) else None
    if not block:
        return entry
    return _overlay(entry, block)


def text(entry, field, lang):
    """One top-level text of an entry in ``lang`` (its English where there is none)."""
    english = entry.get(field)
    translated = ((entry.get("i18n") or {}).get(lang) or {}).get(field)
    return translated if isinstance(translated, str) and translated.strip() else english


def drop_stale(shipped, merged, changes):
    """After a clinic's override: translations of a text the override changed, unless the
    override translates it too, are dropped, so the clinic's English shows instead of a
    translation of the shipped text it replaced."""
    blocks = merged.get("i18n")
    if not isinstance(blocks, dict):
        return merged
    given = changes.get("i18n") if isinstance(changes.get("i18n"), dict) else {}
    merged = {**merged, "i18n": copy.deepcopy(blocks)}
    for field_name in changes:
        if field_name == "i18n" or merged.get(field_name) == shipped.get(field_name):
            continue
        for lang, block in merged["i18n"].items():
            if isinstance(block, dict) and field_name not in (given.get(lang) or {}):
                block.pop(field_name, None)
    return merged
