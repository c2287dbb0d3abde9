"""Outcome codes as clinicians read them: instruments by their titles, score bands and
Huneke classifications in words, outcome groups by their labels (in the user's language).

The codes themselves ("phq-9", "moderately_severe", "huneke") stay what the engines,
the case format and the exports use; only pages and drop-downs show these words.
"""

from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from segmenta.knowledge import localize, vocabulary
from segmenta.patients.models import fold

from .scoring import instruments
from .translation import text_in

# The bands of the knowledge base's instrument thresholds (instruments.yaml).
BANDS = {
    "minimal": _("minimal"),
    "mild": _("mild"),
    "moderate": _("moderate"),
    "moderately_severe": _("moderately severe"),
    "severe": _("severe"),
}

# The classifications of segmenta.treatment.huneke, in clinical words.
HUNEKE_CLASSES = {
    "local": _("local effect only"),
    "huneke": _("Huneke phenomenon"),
    "confirmed": _("Huneke phenomenon, confirmed on repetition"),
    "partial": _("partial relief"),
    "negative": _("negative: no relevant relief"),
}


def instrument_title(instrument_id, extra=None, language=None):
    """The instrument's own title ("PHQ-9", "Pain intensity (NRS-11)") in ``language`` (else
    the active one) where it has a translation, else its id."""
    resource = {**instruments(), **(extra or {})}.get(instrument_id) or {}
    return text_in(resource, "title", language or get_language()) or instrument_id


def band_label(instrument_id, band, extra=None):
    """A score band in words: a category instrument's answer as the patient read it
    ("Much improved"), a threshold band in the user's language ("moderately severe")."""
    if not band:
        return ""
    resource = {**instruments(), **(extra or {})}.get(instrument_id) or {}
    for item in resource.get("item", []):
        for option in item.get("answerOption", []):
            coding = option.get("valueCoding", {})
            if coding.get("code") == band and coding.get("display"):
                return text_in(coding, "display", get_language())
    return str(BANDS.get(band, band.replace("_", " ")))


def huneke_label(classification):
    return str(HUNEKE_CLASSES.get(classification, classification))


def group_label(value):
    """An outcome group's code as people read it: regions by their vocabulary label."""
    if value in vocabulary.codes("region"):
        return localize.label("region", value)
    return gettext(str(value).replace("_", " ").capitalize())


def by_label(rows, unknown="unknown"):
    """Outcome rows ({"group": code, …}) in the order of their labels, as the reader
    sees them (accents and case folded); a group of unknown region comes last."""
    return sorted(rows, key=lambda row: (row["group"] == unknown, fold(group_label(row["group"]))))
