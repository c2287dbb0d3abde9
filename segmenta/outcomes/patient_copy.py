"""The patient's own copy of the chart (GDPR Art. 15 and 20; §630g BGB): the case JSON for
machines and a readable summary of everything stored about the patient, field by field.

The one processing that stays allowed when a chart's processing is restricted. Every field of
every entry is shown under its own label, codes in words, including who recorded it and
entries marked as entered in error; only internal keys (ids, hashes, stored signatures' strokes)
are left out.
"""

from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from segmenta import l10n
from segmenta.knowledge import localize, vocabulary, wording
from segmenta.patients.bodymap import segments

from .labels import band_label, instrument_title

# JSON lists of codes and the vocabulary they come from.
CODED = {"organs": "organ", "findings": "finding", "signs": "sign", "scopes": "consent_scope"}
# Internal keys, not data about the patient.
INTERNAL = {"id", "patient", "session", "plan", "name_key", "signature_svg", "content_hash", "content_format",
            "token_hash", "link", "resource", "order"}

CHILD_TITLES = {
    "injections": gettext_lazy("Injections"), "scores": gettext_lazy("Pain scores"),
    "adverse_events": gettext_lazy("Adverse events"), "follow_ups": gettext_lazy("Follow-ups"),
    "amendments": gettext_lazy("Amendments"), "reviews": gettext_lazy("Reviews"),
}

# (related name on Patient, section title), in the chart's order.
CHART = [
    ("complaints", gettext_lazy("Complaints")),
    ("history", gettext_lazy("History (candidate interference fields)")),
    ("allergies", gettext_lazy("Allergies")),
    ("medications", gettext_lazy("Medications")),
    ("conditions", gettext_lazy("Conditions")),
    ("pregnancy_statuses", gettext_lazy("Pregnancy")),
    ("weights", gettext_lazy("Weight and height")),
    ("reviews", gettext_lazy("Reviewed lists")),
    ("consents", gettext_lazy("Consents")),
]


def _regions(value):
    found = []
    for region in value or []:
        if not isinstance(region, dict):
            continue
        if region.get("region"):
            text = localize.label("region", region["region"])
        elif region.get("choir") in segments():
            # A body-map segment by its name and side, as the chart names it.
            segment = segments()[region["choir"]]
            found.append(f"{localize.text(segment, 'label')}, {localize.label('side', segment['side']).lower()}")
            continue
        elif region.get("choir"):
            text = _("body-map segment %(n)s") % {"n": region["choir"]}
        else:
            continue
        if region.get("side"):
            text = f"{text} ({localize.label('side', region['side']).lower()})"
        found.append(text)
    return ", ".join(found)


def _text(obj, field):
    value = getattr(obj, field.attname)
    if value is None or value == "" or value == []:
        return None
    if field.choices:
        return str(getattr(obj, f"get_{field.name}_display")())
    if field.name == "regions":
        return _regions(value)
    if field.name in CODED:
        return ", ".join(localize.label(CODED[field.name], code) for code in value)
    if field.name == "answers" and isinstance(value, dict):
        return "; ".join(f"{localize.label('finding', code) if code in vocabulary.codes('finding') else code}: "
                         f"{answer}" for code, answer in value.items())
    if field.name == "reasons":
        return wording.reasons(r for r in value if isinstance(r, dict))
    if isinstance(field, models.FileField):
        return _("on file")
    if isinstance(field, models.ForeignKey):
        related = getattr(obj, field.name)
        if hasattr(related, "get_full_name"):
            return related.get_full_name() or related.get_username()
        return str(related)
    if isinstance(field, models.BooleanField):
        return _("yes") if value else _("no")
    if isinstance(field, models.DecimalField):
        return l10n.number(value)  # 64 kg, 0.5 mL (0,5 mL in German): not the database's 64.0 and 0.50
    if isinstance(field, models.DateTimeField):
        return l10n.moment(value)
    if isinstance(field, models.DateField):
        return l10n.day(value)
    return str(value)


# Fields whose models give them no label of their own (Django would show the English field name).
FIELD_LABELS = {
    "clinic": gettext_lazy("Clinic"), "injection": gettext_lazy("Injection"), "complaint": gettext_lazy("complaint"),
    "practitioner": gettext_lazy("Practitioner"), "signed_by": gettext_lazy("signed by"),
    "created_by": gettext_lazy("Entered by"),
    "recorded_by": gettext_lazy("Entered by"), "decided_by": gettext_lazy("decided by"),
    "screened_by": gettext_lazy("screened by"), "author": gettext_lazy("author"),
    "overridden_by": gettext_lazy("overridden by"), "checked_by": gettext_lazy("checked by"),
}


def entry(obj, **children):
    """One stored entry: its label, every field with a value, and nested entries."""
    fields = [(capfirst(str(FIELD_LABELS.get(f.name, f.verbose_name))), _text(obj, f))
              for f in obj._meta.concrete_fields if f.name not in INTERNAL]
    return {"label": str(obj), "fields": [(name, text) for name, text in fields if text is not None],
            "in_error": bool(getattr(obj, "in_error", False)),
            "children": [(str(CHILD_TITLES[name]), found) for name, found in children.items() if found]}


def _answers(response):
    """A questionnaire answer's items as the patient read and answered them."""
    found = []

    def walk(items):
        for item in items:
            if item.get("item"):
                walk(item["item"])
            for answer in item.get("answer", []):
                value = answer.get("valueCoding", {}).get("display") or next(
                    (str(v) for k, v in answer.items() if k.startswith("value") and k != "valueCoding"), "")
                found.append((item.get("text") or item.get("linkId", ""), value))

    walk((response.resource or {}).get("item", []))
    return found


def summary(patient):
    """Everything stored about ``patient``, as sections of entries for the summary page."""
    sections = [{"title": _("Patient"), "entries": [entry(patient)]}]
    for relation, title in CHART:
        sections.append({"title": str(title), "entries": [entry(item) for item in getattr(patient, relation).all()]})
    plans = [entry(plan, reviews=[entry(r) for r in plan.reviews.all()]) for plan in patient.plans.all()]
    sections.append({"title": _("Treatment plans"), "entries": plans})
    sessions = []
    for session in patient.sessions.order_by("started_at", "id"):
        sessions.append(entry(
            session, injections=[entry(i) for i in session.injections.all()],
            scores=[entry(s) for s in session.scores.all()],
            adverse_events=[entry(e) for e in session.adverse_events.all()],
            follow_ups=[entry(f) for f in session.follow_ups.all()],
            amendments=[entry(a) for a in session.amendments.all()]))
    sections.append({"title": _("Sessions"), "entries": sessions})
    answers = []
    for response in patient.responses.order_by("answered_at", "id"):
        answers.append({"label": f"{instrument_title(response.instrument)} · "
                                 f"{l10n.moment(response.answered_at)}",
                        "fields": [(_("Score"), l10n.number(response.total)),
                                   *([(_("Band"), band_label(response.instrument, response.band))]
                                     if response.band else []),
                                   *_answers(response)],
                        "in_error": False, "children": []})
    sections.append({"title": _("Questionnaire answers"), "entries": answers})
    screenings = [entry(s) for s in patient.red_flag_screenings.all()]
    sections.append({"title": _("Red-flag screenings"), "entries": screenings})
    return sections

