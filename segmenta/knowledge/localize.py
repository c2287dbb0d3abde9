"""The knowledge base in the active language: the one accessor every page uses.

The engines read codes and English (the case format does not change); what a person reads
goes through here. The language is Django's active one (the user's choice, else the
browser's; a patient's own where a view activates it with ``translation.override``); a
language Segmenta does not offer reads English. Texts come from the data files' ``i18n``
blocks (``segmenta.knowledge.translations``), never from the gettext catalogs.
"""

import dataclasses

from django.conf import settings
from django.utils.functional import lazy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from . import translations, vocabulary

OFFERED = {code for code, _name in settings.LANGUAGES}

# The evidence statuses (base.EVIDENCE_LABELS, the engines' English) as interface strings.
EVIDENCE = {
    "anatomy": _("Anatomy"),
    "drug_label": _("Drug label"),
    "law": _("Law"),
    "guideline": _("Guideline"),
    "review": _("Review"),
    "clinical_study": _("Clinical study"),
    "case_series": _("Case reports or series only"),
    "textbook": _("Textbook"),
    "expert_opinion": _("Expert opinion"),
    "secondary_source": _("Secondary source"),
    "approximate": _("Approximate"),
    "disputed": _("Disputed"),
    "no_source": _("No source found"),
}


def evidence_label(status):
    """An evidence status ("expert_opinion") in the active language."""
    return str(EVIDENCE[status])


def language(lang=None):
    """``lang`` (else the active language) as the knowledge base holds it: "en", "de" or "es"."""
    code = (lang or get_language() or settings.LANGUAGE_CODE).lower().replace("_", "-").split("-")[0]
    return code if code in OFFERED and (code == "en" or code in translations.LANGUAGES) else "en"


def entry(value, lang=None):
    """A knowledge-base entry with every text in the active language (ids, codes, numbers as
    they are)."""
    return translations.localized(value, language(lang)) if value else value


def text(value, field="name", lang=None):
    """One text of an entry (its name unless another field is named) in the active language."""
    if not value:
        return ""
    return translations.text(value, field, language(lang)) or ""


def name(kb, kind, entry_id, lang=None):
    """The name of a knowledge-base entry by id, in the active language; the id if there is none."""
    found = kb.get(kind, entry_id)
    return text(found, "name", lang) if found else str(entry_id)


def label(kind, code, lang=None):
    """A vocabulary code's label ("region", "head") in the active language."""
    return vocabulary.translated(kind, code, language(lang))


label_lazy = lazy(label, str)


def choices(kind):
    """(code, label) pairs whose labels follow the active language when shown (model and
    form choices; migrations see the English labels)."""
    return [(code, label_lazy(kind, code)) for code in vocabulary.codes(kind)]


def base(kb, kinds, lang=None):
    """``kb`` with the entries of ``kinds`` in the active language, for pure functions that
    read texts along with numbers (the emergency card reads the protocols)."""
    return dataclasses.replace(kb, entries={**kb.entries, **{
        kind: {key: entry(value, lang) for key, value in kb.entries[kind].items()} for kind in kinds}})


def red_flags(kb, flags):
    """The engine's red flags ({"code", "message", "action", …}: the case format's English)
    as a page shows them: message and action in the active language."""
    shown = []
    for flag in flags:
        found = kb.get("red-flag", flag.get("code"))
        shown.append({**flag, "message": text(found), "action": text(found, "action")} if found else dict(flag))
    return shown
