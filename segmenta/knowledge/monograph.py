"""An entry of the knowledge base as a clinical monograph: what a clinician reads on the Learn
page, and the readable text the Learn search indexes.

The Django shell's presentation of the data (labels are translated UI strings): sections of
facts, tables, lists and prose, with human labels from the vocabularies, units and ranges
("3–5 mL"), never raw field names or codes. Each kind has its own layout; whatever a layout
does not show (a field a clinic adds in an override, a field new in the data) is shown under
"Further details" by a generic renderer that labels fields by name and unit.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from segmenta import l10n

from . import localize, vocabulary
from .base import EVIDENCE_LABELS, KINDS, SYNONYM_LANGUAGES, cited
from .relations import segment_links

# --- Values ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    """Another entry of the knowledge base."""

    kind: str
    id: object
    text: str


@dataclass(frozen=True)
class Span:
    """A run of segments, "T7–T9", each end a link."""

    first: Link
    last: Link


@dataclass(frozen=True)
class Muted:
    """A value that says something is absent ("none", "not stated")."""

    text: str


@dataclass(frozen=True)
class With:
    """A value with a word about it in brackets: "Stomach (epigastric)"."""

    value: object
    extra: str


@dataclass(frozen=True)
class Phone:
    number: str


@dataclass(frozen=True)
class Url:
    href: str
    text: str


@dataclass
class Table:
    head: list
    rows: list
    caption: str = ""
    stack: bool = False  # on a phone each row becomes a block, its first cell above the rest


@dataclass
class Section:
    title: str
    slug: str
    facts: list = field(default_factory=list)  # [(label, value, note)]
    prose: list = field(default_factory=list)  # paragraphs
    bullets: list = field(default_factory=list)
    steps: list = field(default_factory=list)  # numbered
    tables: list = field(default_factory=list)
    notes: list = field(default_factory=list)  # small print under the section
    tone: str = ""  # "", "emergency" or "caution"
    searchable: bool = True  # False: shown on the page, not indexed (a source's list of citing entries)
    on_page: bool = True  # False: indexed, shown by the page in its own way (an organ's maps)

    def fact(self, label, value, note=""):
        self.facts.append((label, value, note or ""))
        return self

    def empty(self):
        return not (self.facts or self.prose or self.bullets or self.steps or self.tables or self.notes)


@dataclass
class Monograph:
    lead: list = field(default_factory=list)  # paragraphs under the title
    synonyms: list = field(default_factory=list)  # [(language label, [names])]
    sections: list = field(default_factory=list)


# --- Labels ---------------------------------------------------------------------------

KIND_TITLES = {
    "segment": gettext_lazy("Spinal segments"),
    "organ": gettext_lazy("Organs"),
    "region": gettext_lazy("Body regions"),
    "choir-segment": gettext_lazy("Body-map segments"),
    "ganglion": gettext_lazy("Ganglia and plexuses"),
    "technique": gettext_lazy("Injection techniques"),
    "field-category": gettext_lazy("Interference-field categories"),
    "drug": gettext_lazy("Drugs"),
    "protocol": gettext_lazy("Protocols"),
    "red-flag": gettext_lazy("Red flags"),
    "red-flag-area": gettext_lazy("Red-flag screening areas"),
    "instrument-threshold": gettext_lazy("Outcome instruments"),
    "study": gettext_lazy("Evidence: studies"),
    "course-module": gettext_lazy("Course modules"),
    "scope-rule": gettext_lazy("Scope of practice"),
    "safety-rule": gettext_lazy("Safety rules"),
    "bleeding-agent": gettext_lazy("Blood thinners and their hold times"),
    "test-method": gettext_lazy("Test methods"),
    "tracing-weight": gettext_lazy("How candidate fields are ranked"),
    "crisis-contact": gettext_lazy("Crisis contacts"),
    "leaflet": gettext_lazy("Patient leaflets"),
    "retention": gettext_lazy("How long charts are kept"),
    "code": gettext_lazy("Standard codes (SNOMED CT, ICD-10, LOINC)"),
    "field-code": gettext_lazy("Other systems' codes that name a candidate field (FHIR import)"),
    "substance-code": gettext_lazy("Other systems' medication codes and their classes (FHIR import)"),
    "fee-schedule": gettext_lazy("Fee schedules"),
    "fee-code": gettext_lazy("Fee codes"),
    "recall-rule": gettext_lazy("When the recall list names a patient"),
    "vignette": gettext_lazy("Cases for the case simulator"),
    "membrane-model": gettext_lazy("Membrane-potential lab: the model neuron"),
    "membrane-text": gettext_lazy("Membrane potentials: lessons and claims"),
    "awarding-body": gettext_lazy("Who awards neural-therapy training"),
    "cme-requirement": gettext_lazy("Continuing-education requirements"),
    "source": gettext_lazy("Sources"),
}


def kind_title(kind):
    """A kind's title; a kind new in the data files, without a title here yet, by its name."""
    return KIND_TITLES.get(kind) or kind.replace("-", " ").capitalize()


LANGUAGES = {"en": gettext_lazy("English"), "de": gettext_lazy("German"), "es": gettext_lazy("Spanish"),
             "la": gettext_lazy("Latin")}
assert set(LANGUAGES) == set(SYNONYM_LANGUAGES)

VERDICTS = {"warn": gettext_lazy("warns"), "block": gettext_lazy("blocks"), "ok": gettext_lazy("ok")}
DEPTHS = {
    "intracutaneous": gettext_lazy("Intracutaneous"), "subcutaneous": gettext_lazy("Subcutaneous"),
    "intramuscular": gettext_lazy("Intramuscular"), "periosteal": gettext_lazy("On the periosteum"),
    "submucosal": gettext_lazy("Submucosal"), "deep": gettext_lazy("Deep"), "perineural": gettext_lazy("Perineural"),
    "ganglion": gettext_lazy("At a ganglion"), "plexus": gettext_lazy("At a plexus"),
}
APPROACHES = {
    "local": gettext_lazy("Local therapy"), "segmental": gettext_lazy("Segmental therapy"),
    "regional": gettext_lazy("Regional therapy"), "ganglionic": gettext_lazy("Ganglionic therapy"),
    "interference_field": gettext_lazy("Interference-field therapy"),
}
# A questionnaire's severity bands and answer categories (the engines' codes), as the outcome
# pages and the questionnaires name them; and the population a formula was derived in.
SCORE_WORDS = {
    "minimal": gettext_lazy("minimal"), "mild": gettext_lazy("mild"), "moderate": gettext_lazy("moderate"),
    "moderately_severe": gettext_lazy("moderately severe"), "severe": gettext_lazy("severe"),
    "very_much_improved": gettext_lazy("Very much improved"), "much_improved": gettext_lazy("Much improved"),
    "minimally_improved": gettext_lazy("Minimally improved"), "no_change": gettext_lazy("No change"),
    "minimally_worse": gettext_lazy("Minimally worse"), "much_worse": gettext_lazy("Much worse"),
    "very_much_worse": gettext_lazy("Very much worse"), "adults": gettext_lazy("adults"),
}
ASRA_CLASSES = {"low": gettext_lazy("Low risk"), "intermediate": gettext_lazy("Intermediate risk"),
                "high": gettext_lazy("High risk")}
BLEEDING_POLICIES = {"anticoagulant": gettext_lazy("Anticoagulant"), "p2y12": gettext_lazy("P2Y12 inhibitor"),
                     "aspirin": gettext_lazy("Aspirin"), "nsaid": gettext_lazy("NSAID")}
REASON_CODES = {"anticoagulant": gettext_lazy("Anticoagulant"), "antiplatelet": gettext_lazy("Antiplatelet"),
                "nsaid": gettext_lazy("NSAID")}
SOURCE_TYPES = {
    "anatomy": gettext_lazy("Anatomy"), "drug_label": gettext_lazy("Drug label"), "guideline": gettext_lazy("Guideline"),
    "review": gettext_lazy("Review"), "study": gettext_lazy("Study"), "textbook": gettext_lazy("Textbook"),
    "expert": gettext_lazy("Expert text"), "web": gettext_lazy("Web page"),
    "promotional": gettext_lazy("Promotional text"), "law": gettext_lazy("Law"),
}
RED_FLAG_AREAS = {"spine": gettext_lazy("Spine and back"), "headache": gettext_lazy("Head and face"),
                  "abdomen": gettext_lazy("Abdomen"), "pelvis": gettext_lazy("Pelvis and genitals"),
                  "chest": gettext_lazy("Chest, heart and lungs"), "any": gettext_lazy("Every complaint")}
TRIGEMINAL = {"V1": gettext_lazy("ophthalmic division (V1)"), "V2": gettext_lazy("maxillary division (V2)"),
              "V3": gettext_lazy("mandibular division (V3)")}
# FDI tooth notation (ISO 3950): quadrants 1–4 permanent, 5–8 deciduous teeth.
QUADRANTS = {"1": gettext_lazy("upper right"), "2": gettext_lazy("upper left"), "3": gettext_lazy("lower left"),
             "4": gettext_lazy("lower right"), "5": gettext_lazy("upper right, milk teeth"),
             "6": gettext_lazy("upper left, milk teeth"), "7": gettext_lazy("lower left, milk teeth"),
             "8": gettext_lazy("lower right, milk teeth")}
COUNTED_FROM = {"last_treatment": gettext_lazy("the last treatment"),
                "last_entry": gettext_lazy("the chart's last entry or session")}

# Labels of fields, for the generic renderer (and wherever a layout names a field plainly).
FIELD_LABELS = {
    "note": gettext_lazy("Note"), "description": gettext_lazy("Description"), "rule": gettext_lazy("Rule"),
    "location": gettext_lazy("Location"), "indications": gettext_lazy("Indications"),
    "complications": gettext_lazy("Complications"), "advice": gettext_lazy("Advice"),
    "requirement": gettext_lazy("Requirement"), "incidence": gettext_lazy("Incidence"),
    "verified": gettext_lazy("Checked against the source"), "reliability": gettext_lazy("Reliability"),
    "design": gettext_lazy("Design"), "size": gettext_lazy("Participants"), "outcomes": gettext_lazy("Outcomes"),
    "result": gettext_lazy("Result"), "about": gettext_lazy("Question"), "range": gettext_lazy("Score range"),
    "items": gettext_lazy("Items"), "scoring": gettext_lazy("Scoring"), "formula": gettext_lazy("Formula"),
    "threshold": gettext_lazy("Threshold"), "loinc": gettext_lazy("LOINC code"),
    "examples": gettext_lazy("Examples"), "kinds": gettext_lazy("History items"),
    "segments": gettext_lazy("Spinal segments"), "dermatomes": gettext_lazy("Dermatomes"),
    "trigeminal": gettext_lazy("Trigeminal divisions"), "regions": gettext_lazy("Body regions"),
    "organs": gettext_lazy("Organs"), "points": gettext_lazy("Points"), "signs": gettext_lazy("Signs"),
    "management": gettext_lazy("Management"), "years": gettext_lazy("Years"), "name": gettext_lazy("Name"),
    "phone": gettext_lazy("Phone"), "code": gettext_lazy("Code"), "effect": gettext_lazy("Effect"),
    "better": gettext_lazy("Better score"), "window_hours": gettext_lazy("Time window"),
    "verdict": gettext_lazy("Answer"), "targets": gettext_lazy("Targets"), "status": gettext_lazy("Status"),
    "age": gettext_lazy("Age"), "weight": gettext_lazy("Weight"), "sex": gettext_lazy("Sex"),
    # The Huneke classification's thresholds a clinic may set.
    "onset_seconds_max": gettext_lazy("Onset within (s)"), "relief_percent_min": gettext_lazy("Relief at least (%)"),
    "duration_hours_min": gettext_lazy("Lasting at least (h)"),
    "duration_hours_min_tooth": gettext_lazy("Lasting at least, teeth and jaw (h)"),
    "partial_relief_percent_min": gettext_lazy("A partial response from (%)"),
}
UNITS = {"mg": "mg", "ml": "mL", "kg": "kg", "percent": "%", "minutes": "min", "hours": "h", "seconds": "s",
         "days": gettext_lazy("days"), "years": gettext_lazy("years")}
QUALIFIERS = {"max": gettext_lazy("at most"), "min": gettext_lazy("at least")}
WORDS = {"max": gettext_lazy("maximum"), "min": gettext_lazy("minimum"), "cns": "CNS", "iv": "IV", "ml": "mL",
         "kg": "kg", "mg": "mg"}


def label(key, with_unit=True):
    """A field's name as people read it, with its unit: "bolus_ml_per_kg" → "Bolus (mL/kg)"
    (without it, for a value that carries its unit itself)."""
    if key in FIELD_LABELS:
        text = str(FIELD_LABELS[key])
        return text if with_unit else text.split(" (")[0]
    words, unit = _split_unit(str(key))
    text = " ".join(str(WORDS.get(w, w)) for w in words) or str(key)
    text = text[:1].upper() + text[1:]
    return f"{text} ({unit})" if unit and with_unit else text


def _split_unit(key):
    """("bolus", "mL/kg") from "bolus_ml_per_kg"; "per_kg_mg" → mg/kg; "min"/"max" after a unit qualify it."""
    tokens = key.replace("-", "_").split("_")
    unit_tokens = []
    while tokens and (tokens[-1] in UNITS or tokens[-1] in ("per", "min", "max", "kg")):
        if tokens[-1] in ("min", "max") and not (len(tokens) > 1 and tokens[-2] == "per"):
            if unit_tokens:  # "infusion_ml_min": a minimum, not minutes
                break
            # "duration_hours_min": the qualifier belongs to the unit before it
            qualifier = tokens.pop()
            words, unit = _split_unit("_".join(tokens))
            return [*words[:-1], words[-1] + ",", str(QUALIFIERS[qualifier])] if words else [qualifier], unit
        unit_tokens.insert(0, tokens.pop())
    unit = _unit(unit_tokens)
    if not tokens and unit_tokens[:1] == ["per"] and len(unit_tokens) >= 3:  # "per_kg_mg" → Per kg (mg/kg)
        return ["per", unit_tokens[1]], unit
    if not tokens:
        return [key.replace("_", " ")], ""
    return tokens, unit


def _unit(tokens):
    if not tokens:
        return ""
    if tokens[0] == "per" and len(tokens) >= 3:  # per_kg_mg → mg/kg
        return f"{_unit(tokens[2:])}/{_unit([tokens[1]])}"
    parts, current = [], []
    for token in tokens:
        if token == "per":
            parts.append(current)
            current = []
        else:
            current.append(token)
    parts.append(current)
    names = ["".join(str(UNITS.get(t, t)) for t in part) for part in parts if part]
    return "/".join(n for n in names if n)


def source_type_label(code):
    """A source's type in words ("drug_label" → "Drug label")."""
    return str(SOURCE_TYPES.get(code, code_label(code))) if code else ""


def code_label(code, vocab=None):
    """A coded value as people read it: its vocabulary's label, else our own, else humanised."""
    if code is None:
        return ""
    code = str(code)
    vocabs = [vocab] if vocab else ["region", "organ", "condition", "medication_class", "allergy_class",
                                    "profession", "injection_target", "finding", "sign", "history_kind",
                                    "consent_scope", "sex", "side", "drug"]
    for name in vocabs:
        try:
            return localize.label(name, code)
        except KeyError:
            continue
    for table in (DEPTHS, APPROACHES, BLEEDING_POLICIES, SOURCE_TYPES, RED_FLAG_AREAS, SCORE_WORDS):
        if code in table:
            return str(table[code])
    if code in EVIDENCE_LABELS:
        return localize.evidence_label(code)
    text = code.replace("_", " ")
    return text[:1].upper() + text[1:]


def codes(values, vocab=None):
    return [code_label(v, vocab) for v in values or []]


def number(value):
    """1.0 → "1", 0.6666667 → "0.67" (on a German or Spanish page "0,67"), 1500 → "1500"."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if float(value).is_integer():
        return str(int(value))
    return l10n.number(value, places=2)


def amount(value, unit):
    if value is None:
        return Muted(_("not stated"))
    return f"{number(value)} {unit}".strip() if unit != "%" else f"{number(value)} %"


def span(low, high, unit=""):
    """A range as "3–5 mL" (a single value when both ends agree)."""
    text = number(low) if low == high else f"{number(low)}–{number(high)}"
    return f"{text} {unit}".strip()


def hours(value):
    """A time in hours as a clinician says it: 120 → "5 days (120 h)", 12 → "12 h"."""
    if value == 0:
        return _("none")
    if value >= 48 and value % 24 == 0:
        return _("%(days)s days (%(hours)s h)") % {"days": number(value / 24), "hours": number(value)}
    return f"{number(value)} h"


def verdict(value):
    return str(VERDICTS.get(value, code_label(value)))


# A verdict as a whole answer in a fact's value ("When the rule is broken | The safety check
# blocks the injection"); verdict() keeps the single word for tables.
VERDICT_SENTENCES = {"warn": gettext_lazy("The safety check warns; the injection may go ahead"),
                     "block": gettext_lazy("The safety check blocks the injection"),
                     "ok": gettext_lazy("The safety check lets the injection go ahead")}


def check_says(value):
    return str(VERDICT_SENTENCES[value]) if value in VERDICT_SENTENCES else _cap(verdict(value))


def yes_no(value):
    return _("yes") if value else _("no")


def sentence(values):
    """A list as one line: "Head, Face and Neck"."""
    values = [str(v) for v in values if v not in (None, "")]
    if len(values) <= 1:
        return "".join(values)
    return _("%(items)s and %(last)s") % {"items": ", ".join(values[:-1]), "last": values[-1]}


def either(values):
    """A list of alternatives: "life threatening or fatal"."""
    values = [str(v) for v in values if v not in (None, "")]
    if len(values) <= 1:
        return "".join(values)
    return _("%(items)s or %(last)s") % {"items": ", ".join(values[:-1]), "last": values[-1]}


def _link(kb, kind, entry_id, fallback=None):
    entry = kb.get(kind, entry_id) if kind in kb.entries else None
    if entry is None:
        return fallback if fallback is not None else code_label(entry_id)
    return Link(kind, entry_id, localize.text(entry))


def segment_list(kb, segments):
    """Segments as runs ("T7–T9") in the vocabulary's order, each end linked; the vagus by name."""
    order = vocabulary.codes("segment")
    known = sorted((s for s in segments if s in order), key=order.index)
    items, run = [], []
    for segment in known:
        if run and order.index(segment) != order.index(run[-1]) + 1:
            items += _run(kb, run)
            run = []
        run.append(segment)
    items += _run(kb, run)
    items += [_("vagus nerve") if s == "vagus" else code_label(s) for s in segments if s not in order]
    return items


def _run(kb, run):
    if len(run) >= 3:
        return [Span(_link(kb, "segment", run[0]), _link(kb, "segment", run[-1]))]
    return [_link(kb, "segment", s) for s in run]


def links(kb, kind, ids, vocab=None):
    return [_link(kb, kind, i, code_label(i, vocab)) for i in ids or []]


def none(text=None):
    return Muted(text or _("none"))


# --- Reading text -----------------------------------------------------------------------


def plain(value):
    """A value as plain text (what the search indexes)."""
    if isinstance(value, Link):
        return value.text
    if isinstance(value, Span):
        return f"{value.first.text}–{value.last.text}"
    if isinstance(value, Muted):
        return value.text
    if isinstance(value, Phone):
        return value.number
    if isinstance(value, With):
        return f"{plain(value.value)} ({value.extra})" if value.extra else plain(value.value)
    if isinstance(value, Url):
        return value.text
    if isinstance(value, (list, tuple)):
        return ", ".join(plain(v) for v in value)
    if isinstance(value, Table):
        return " ".join(plain(row) for row in [value.head, *value.rows])
    return str(value)


def _stop(text):
    return text if text.endswith((".", "!", "?", ":")) else text + "."


def text_of(mono):
    """The monograph as plain text, section by section: the search's body for the entry."""
    lines = [*map(str, mono.lead)]
    for section in mono.sections:
        lines.append(f"{section.title}.")
        lines += [_stop(f"{label}: {plain(value)}") + (f" {note}" if note else "") for label, value, note in section.facts]
        lines += [plain(p) for p in section.prose + section.bullets + section.steps + section.notes]
        for table in section.tables:
            lines += [plain(table.caption)] if table.caption else []
            lines += ["; ".join(f"{plain(h)}: {plain(c)}" for h, c in zip(table.head, row)) for row in table.rows]
    return "\n".join(line for line in lines if line and line.strip())


# --- The builder ------------------------------------------------------------------------

# Shown by the page itself: title, badges, sources, per-indication evidence, clinic settings.
PAGE_FIELDS = {"id", "name", "sources", "evidence", "synonyms", "search_terms", "indication_evidence",
               "clinic_settable", "i18n"}


class _Entry:
    """An entry whose fields are taken as the layout shows them; what is left over is shown
    by the generic renderer."""

    def __init__(self, entry):
        self.entry = entry
        self.taken = set(PAGE_FIELDS)

    def __contains__(self, key):
        return key in self.entry

    def get(self, key, default=None):
        self.taken.add(key)
        return self.entry.get(key, default)

    def __getitem__(self, key):
        self.taken.add(key)
        return self.entry[key]

    def rest(self):
        return [(k, v) for k, v in self.entry.items() if k not in self.taken]


def monograph(kb, kind, entry):
    """The page of one entry in the active language: lead, other names, sections."""
    entry = localize.entry(entry)
    e = _Entry(entry)
    mono = Monograph(synonyms=[(LANGUAGES[lang], names) for lang, names in entry.get("synonyms", {}).items()
                               if lang in LANGUAGES])
    layout = LAYOUTS.get(kind)
    if layout is not None:
        layout(kb, e, mono)
    note = e.get("note")
    if note:
        mono.lead.append(note)
    rest = e.rest()
    if rest:
        mono.sections.append(generic_section(_("Further details"), "details", rest))
    mono.sections = [s for s in mono.sections if not s.empty()]
    return _readable(mono, _field_names(kb))


def _field_names(kb):
    """Every field name used anywhere in the knowledge base (cached per version)."""
    if kb.version not in _FIELD_NAMES:
        names = set()

        def walk(value):
            if isinstance(value, dict):
                names.update(k for k in value if isinstance(k, str))
                for item in value.values():
                    walk(item)
            elif isinstance(value, list):
                for item in value:
                    walk(item)

        walk(kb.entries)
        _FIELD_NAMES.clear()
        _FIELD_NAMES[kb.version] = names
    return _FIELD_NAMES[kb.version]


_FIELD_NAMES = {}


def _readable(mono, field_names=frozenset()):
    """The data's own prose made readable where it names the data itself: a file by its kind's
    title ("bleeding_agents.yaml" → "Blood thinners and their hold times"), a code by its label
    ("inr_normal" → "INR checked today and normal"), a field by its label ("preservative_free" →
    "preservative free")."""
    def word(match):
        code = match.group(0)
        if _vocabulary_label(code):
            return f"“{_vocabulary_label(code)}”"
        if code in field_names:
            return f"“{label(code).split(' (')[0].lower()}”"
        return code

    def clean(value):
        if isinstance(value, str):
            value = PERCENT.sub("\u00a0%", value)  # "2 %" stays on one line
            value = FILE_NAME.sub(lambda m: str(kind_title(FILE_KINDS[m.group(0)])) if m.group(0) in FILE_KINDS
                                  else m.group(0), value)
            return CODE.sub(word, value)
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, With):
            return With(clean(value.value), clean(value.extra))
        return value

    def paragraphs(values):  # a paragraph or list item starts with a capital
        return [_cap(v) if isinstance(v, str) else v for v in clean(values)]

    mono.lead = paragraphs(mono.lead)
    for section in mono.sections:
        section.prose, section.bullets, section.steps, section.notes = (
            paragraphs(section.prose), paragraphs(section.bullets), paragraphs(section.steps),
            paragraphs(section.notes))
        section.facts = [(label_, clean(value), _cap(clean(note)) if note else note)
                         for label_, value, note in section.facts]
        for table in section.tables:
            table.rows = [clean(row) for row in table.rows]
    return mono


FILE_NAME = re.compile(r"\b[a-z_]+\.(?:yaml|json)\b")
FILE_KINDS = {filename: kind for kind, (filename, _schema) in KINDS.items()}
CODE = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b")
PERCENT = re.compile(r"(?<=\d) %")


def _vocabulary_label(code):
    for name in ("finding", "condition", "region", "organ", "medication_class", "allergy_class", "profession",
                 "injection_target", "sign", "history_kind", "consent_scope"):
        try:
            return localize.label(name, code)
        except KeyError:
            continue
    return None


def generic_section(title, slug, items):
    section = Section(title, slug)
    for key, value in items:
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            columns = list(dict.fromkeys(k for v in value for k in v))
            section.tables.append(Table([label(c, with_unit=False) for c in columns],
                                        [[generic_value(c, v.get(c)) for c in columns] for v in value],
                                        caption=label(key)))
        elif isinstance(value, dict) and value and not _is_range(value):
            for sub, subvalue in value.items():
                sublabel = label(sub, with_unit=False)
                section.fact(f"{label(key, with_unit=False)}: {sublabel[:1].lower()}{sublabel[1:]}",
                             generic_value(sub, subvalue))
        else:
            section.fact(label(key, with_unit=False), generic_value(key, value))
    return section


def _is_range(value):
    return set(value) <= {"min", "max", "note"} and {"min", "max"} <= set(value)


def generic_value(key, value):
    """Any value as readable text, with the unit its field's name gives."""
    _words, unit = _split_unit(str(key))
    if value is None:
        return none(_("not stated"))
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, (int, float)):
        return amount(value, unit)
    if isinstance(value, str):
        if re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", value):
            return code_label(value)
        if unit and re.fullmatch(r"[0-9.,]+\s*[–-]\s*[0-9.,]+", value):  # "2–3" minutes
            return f"{value} {unit}" if unit != "%" else f"{value} %"
        return value
    if isinstance(value, list):
        if not value:
            return none()
        return [generic_value(key, v) if not isinstance(v, (dict, list)) else plain(generic_value(key, v))
                for v in value]
    if isinstance(value, dict):
        if _is_range(value):
            text = span(value["min"], value["max"], unit)
            return f"{text} ({value['note']})" if value.get("note") else text
        return "; ".join(f"{label(k)}: {plain(generic_value(k, v))}" for k, v in value.items())
    return str(value)


# --- Layouts per kind -------------------------------------------------------------------


def drug_layout(kb, e, mono):
    drug_id = e["id"]
    mono.lead.append(_("%(class)s.") % {"class": code_label(e.get("class"), "allergy_class")})
    limits = dict(e.get("limits", {}))
    dose = Section(_("Dose limits"), "limits")
    session = limits.pop("session_max_mg", None)
    per_kg = limits.pop("per_kg_mg", None)
    dose.fact(_("Maximum dose per session"), amount(session, "mg"), limits.pop("session_note", ""))
    dose.fact(_("Maximum dose per kg body weight"), amount(per_kg, "mg/kg"), limits.pop("per_kg_note", ""))
    dose.notes.append(_("The safety check takes the lower of the two for a patient whose weight is known, and "
                        "counts everything given within 24 hours."))
    dose.fact(_("Highest concentration"), amount(limits.pop("max_concentration_percent", None), "%"))
    hng = limits.pop("head_neck_genital", None)
    if hng:
        dose.fact(_("Head, neck and genital area"),
                  _("at most %(mg)s mg within %(minutes)s") % {"mg": number(hng.get("max_mg")),
                                                              "minutes": minutes(hng.get("window_minutes"))},
                  hng.get("note", ""))
        dose.fact(_("Counted there: body regions"), codes(hng.get("regions"), "region") or none())
        dose.fact(_("Counted there: targets, whatever site is entered"),
                  links(kb, "technique", hng.get("targets"), "injection_target") or none())
    reduce = limits.pop("reduce_for_conditions", None)
    if reduce:
        factor = reduce.get("factor")
        dose.fact(_("Reduced limits"),
                  _("to %(percent)s %% of the limits (limits rounded down) with %(conditions)s")
                  % {"percent": number(round(factor * 100)) if isinstance(factor, (int, float)) else factor,
                     "conditions": sentence(_lower(c) for c in codes(reduce.get("conditions"), "condition"))},
                  reduce.get("note", ""))
    warn = limits.pop("warn_for_conditions", None)
    if warn:
        dose.fact(_("The safety check warns in patients with"), _cap(sentence(_lower(c) for c in codes(warn, "condition"))))
    for key, value in limits.items():
        dose.fact(label(key), generic_value(key, value))
    mono.sections.append(dose)

    per_ml = e.get("mg_per_ml_per_percent")
    strengths = e.get("concentrations_percent") or []
    if per_ml and strengths:
        rows = []
        for percent in strengths:
            mg_per_ml = percent * per_ml
            rows.append([f"{number(percent)} %", f"{number(mg_per_ml)} mg/mL",
                         f"{number(session / mg_per_ml)} mL" if session else none(_("not stated"))])
        dose.tables.append(Table([_("Strength"), _("Content"), _("Maximum per session")], rows,
                                 caption=_("The session maximum in millilitres, by strength")))

    targets = []
    for technique in kb.all("technique"):
        limit = technique.get("limits", {}).get(drug_id)
        if limit:
            most = f"{number(limit['max_mg'])} mg"
            if per_ml:
                most += " " + _("(%(ml)s mL at 1 %%)") % {"ml": number(limit["max_mg"] / per_ml)}
            if "max_ml" in limit:
                most += " · " + _("at most %(ml)s mL") % {"ml": number(limit["max_ml"])}
            note = localize.entry(technique).get("limits", {}).get(drug_id, {}).get("note", "")
            targets.append([Link("technique", technique["id"], localize.text(technique)), most, note])
    if targets:
        head = [_("Target"), _("At most"), _("Note")]
        if not any(row[-1] for row in targets):
            head, targets = head[:-1], [row[:-1] for row in targets]
        mono.sections.append(Section(_("Largest single application per target"), "per-target", tables=[
            Table(head, targets)],
            notes=[_("Above these the safety check blocks; the techniques' pages give the basis of each limit.")]))

    pharmacology = Section(_("Pharmacology"), "pharmacology")
    onset, duration = e.get("onset_minutes"), e.get("duration_minutes")
    if onset:
        pharmacology.fact(_("Onset"), span(onset["min"], onset["max"], "min"))
    if duration:
        pharmacology.fact(_("Duration of action"), span(duration["min"], duration["max"], "min"))
    if per_ml:
        pharmacology.fact(_("Content"), _("1 %% = %(mg)s mg/mL") % {"mg": number(per_ml)})
    if strengths:
        pharmacology.fact(_("Strengths"), sentence(f"{number(p)} %" for p in strengths))
    for key, title in (("metabolism", _("Metabolism")), ("half_life_note", _("Half-life")),
                       ("atypical_cholinesterase", _("Atypical cholinesterase"))):
        if key in e:
            pharmacology.fact(title, e[key])
    mono.sections.append(pharmacology)

    contra = e.get("contraindications", {}) or {}
    section = Section(_("Contraindications"), "contraindications", prose=[_listed(contra.get("text"))])
    section.fact(_("Allergies the safety check blocks"), codes(contra.get("allergy_classes"), "allergy_class") or none())
    section.fact(_("Conditions the safety check blocks"), codes(contra.get("conditions"), "condition") or none())
    if contra.get("allergy_substances"):
        # The matching stems themselves (procain, paba, sulfonamid…) are the engine's, not reading.
        section.notes.append(_("An allergy recorded by name instead of by class is recognised too, in English, "
                               "German and Spanish spellings and by common brand names."))
    mono.sections.append(section)

    cautions = e.get("cautions", {}) or {}
    section = Section(_("Cautions"), "cautions", prose=[_listed(cautions.get("text"))])
    if cautions.get("conditions"):
        section.fact(_("Conditions the safety check warns about"), codes(cautions["conditions"], "condition"))
    if cautions.get("medication_classes"):
        section.fact(_("Medicines the safety check warns about"),
                     codes(cautions["medication_classes"], "medication_class"))
    mono.sections.append(section)

    interactions = e.get("interactions") or []
    if interactions:
        mono.sections.append(Section(_("Interactions"), "interactions", tables=[Table(
            [_("Medicine"), _("Effect")],
            [[code_label(i.get("medication_class"), "medication_class"), i.get("effect", "")] for i in interactions])]))
    warnings = e.get("label_warnings") or []
    if warnings:
        mono.sections.append(Section(_("Warnings on the label"), "label-warnings", bullets=[_cap(w) for w in warnings]))
    ids = e.get("codes") or {}
    if ids:
        names = {"atc": _("ATC code"), "drugbank": "DrugBank", "pubchem_cid": _("PubChem compound"),
                 "unii_hcl": _("UNII (hydrochloride)")}
        section = Section(_("Identifiers"), "identifiers")
        for key, value in ids.items():
            section.fact(names.get(key, label(key)), str(value))
        mono.sections.append(section)


def _lower(text):
    """A label in the middle of a sentence: "Heart failure" → "heart failure", "PABA" stays."""
    text = str(text)
    return text[:1].lower() + text[1:] if len(text) > 1 and text[1].islower() else text


def _cap(text):
    text = str(text)
    return text[:1].upper() + text[1:]


def _listed(items):
    """A list the data writes as one sentence split at its commas, put back together."""
    text = ", ".join(str(i) for i in items or [])
    return _stop(text[:1].upper() + text[1:]) if text else ""


def minutes(value):
    if not isinstance(value, (int, float)):
        return str(value)
    if value >= 60 and value % 60 == 0:
        return _("%(minutes)s min (%(hours)s h)") % {"minutes": number(value), "hours": number(value / 60)}
    return f"{number(value)} min"


def technique_layout(kb, e, mono):
    approach = code_label(e.get("approach"))
    depth = code_label(e.get("depth"))
    mono.lead.append(f"{approach}, {_lower(depth)}.")
    overview = Section(_("The technique"), "technique")
    overview.fact(_("Approach"), approach)
    overview.fact(_("Depth"), depth)
    if "ganglion" in e:
        overview.fact(_("Ganglion"), _link(kb, "ganglion", e["ganglion"]))
    if e.get("field_kinds"):
        overview.fact(_("The fields it treats"), codes(e["field_kinds"], "history_kind"))
    typical = e.get("typical_ml")
    if typical:
        overview.fact(_("Usual volume"), span(typical["min"], typical["max"], "mL"),
                      _("Above it the safety check warns."))
    elif "ganglion" in e:
        volume = (kb.get("ganglion", e.entry["ganglion"]) or {}).get("volume_ml")
        if volume:
            overview.fact(_("Usual volume"), span(volume["min"], volume["max"], "mL"),
                          _("From the ganglion's sources; above it the safety check warns."))
    mono.sections.append(overview)

    limits = e.get("limits", {}) or {}
    rows = []
    for drug_id, limit in limits.items():
        drug = kb.get("drug", drug_id) or {}
        per_ml = drug.get("mg_per_ml_per_percent")
        most = f"{number(limit['max_mg'])} mg"
        if per_ml:
            most += " " + _("(%(ml)s mL at 1 %%)") % {"ml": number(limit["max_mg"] / per_ml)}
        if "max_ml" in limit:
            most += " · " + _("at most %(ml)s mL") % {"ml": number(limit["max_ml"])}
        rows.append([_link(kb, "drug", drug_id), most, limit.get("note", "")])
    head = [_("Drug"), _("At most"), _("Note")]
    if not any(row[-1] for row in rows):
        head, rows = head[:-1], [row[:-1] for row in rows]
    section = Section(_("Largest single application"), "limits", tables=[Table(head, rows)])
    if "limit_basis" in e:
        section.fact(_("Basis"), e["limit_basis"])
    section.notes.append(_("Above these the safety check blocks the injection."))
    mono.sections.append(section)

    safety = Section(_("Safety"), "safety")
    safety.bullets.append(_("Aspirate before injecting.") if e.get("aspirate")
                          else _("No aspiration needed (a superficial target)."))
    if e.get("deep"):
        safety.bullets.append(_("A deep or vascular target: blocked when the injecting practitioner's "
                                "profession is unknown or unverified."))
    if e.get("preservative_free"):
        safety.bullets.append(_("Preservative-free single-dose products only: a preserved product or a "
                                "multi-dose vial is refused here."))
    safety.fact(_("Bleeding risk of the procedure (ASRA)"), str(ASRA_CLASSES.get(e.get("asra_class"), "")),
                e.get("asra_note", ""))
    mono.sections.append(safety)


def ganglion_layout(kb, e, mono):
    anatomy = Section(_("Anatomy"), "anatomy")
    anatomy.fact(_("Location"), e.get("location") or none(_("not stated")))
    anatomy.fact(_("Spinal segments"), segment_list(kb, e.get("segments") or []) or none())
    if e.get("trigeminal"):
        anatomy.fact(_("Trigeminal nerve"), sentence(str(TRIGEMINAL.get(t, t)) for t in e["trigeminal"]))
    mono.sections.append(anatomy)

    block = Section(_("The block"), "block")
    target = e.get("target")
    if target:
        block.fact(_("Technique"), _link(kb, "technique", target, code_label(target, "injection_target")))
    volume = e.get("volume_ml")
    if volume:
        block.fact(_("Usual volume"), span(volume["min"], volume["max"], "mL"), volume.get("note", ""))
    else:
        block.fact(_("Usual volume"), none(_("no volume found in the sources")))
    sign = e.get("success_sign")
    block.fact(_("Sign of a successful block"), sign or none(_("none found in the sources")),
               e.get("success_sign_note", ""))
    block.fact(_("Who may inject"), codes(e.get("may_inject"), "profession") or none())
    if "bleeding_risk" in e:
        block.fact(_("Bleeding risk of the procedure (ASRA)"), str(ASRA_CLASSES.get(e["bleeding_risk"], "")))
    mono.sections.append(block)

    indications = e.get("indications") or []
    section = Section(_("Indications"), "indications")
    if indications:
        section.prose.append(_listed(indications))
    else:
        section.prose.append(none(_("No indication was taken from a source.")))
    if e.get("indications_note"):
        section.notes.append(e["indications_note"])
    mono.sections.append(section)

    section = Section(_("Complications"), "complications", bullets=[_cap(c) for c in e.get("complications") or []],
                      tone="caution")
    if not section.bullets:
        section.prose.append(none(_("None taken from a source.")))
    if e.get("complications_note"):
        section.notes.append(e["complications_note"])
    for warning in e.get("related_warnings") or []:
        section.prose.append(warning)
    mono.sections.append(section)

    section = Section(_("Contraindications"), "contraindications",
                      bullets=[_cap(c) for c in e.get("contraindications_text") or []])
    coded = e.get("contraindications") or {}
    if coded.get("conditions"):
        section.fact(_("Conditions the safety check blocks"), codes(coded["conditions"], "condition"))
    if coded.get("medication_classes"):
        section.fact(_("Medicines the safety check blocks"), codes(coded["medication_classes"], "medication_class"))
    if coded.get("pregnancy"):
        section.fact(_("Pregnancy"), _("a hard stop: the safety check blocks it in pregnancy, and while a "
                                       "pregnancy is not ruled out"))
    cautions = e.get("cautions") or {}
    if cautions.get("conditions"):
        section.fact(_("Conditions the safety check warns about"), codes(cautions["conditions"], "condition"))
    if cautions.get("medication_classes"):
        section.fact(_("Medicines the safety check warns about"),
                     codes(cautions["medication_classes"], "medication_class"))
    section.notes.append(_("Bleeding (coagulopathy, blood thinners) is judged for every target by the "
                           "bleeding rule and the procedure's risk class."))
    mono.sections.append(section)

    serves = e.get("serves") or {}
    section = Section(_("When the assessment suggests it"), "suggested")
    regions, organs, sexes = serves.get("regions") or [], serves.get("organs") or [], serves.get("sexes") or []
    if regions or organs:
        if regions:
            section.fact(_("For complaints in"), links(kb, "region", regions, "region"))
        if organs:
            section.fact(_("For complaints of"), links(kb, "organ", organs, "organ"))
        everyone = set(vocabulary.codes("sex")) <= set(sexes)
        section.fact(_("Patients"), _("Of any sex") if everyone
                     else _cap(_("%(sexes)s patients only") % {"sexes": sentence(codes(sexes, "sex")).lower()}))
    else:
        section.prose.append(none(_("The assessment does not suggest this target by itself.")))
    if e.get("serves_note"):
        section.notes.append(e["serves_note"])
    mono.sections.append(section)


def segment_layout(kb, e, mono):
    found = segment_links(kb, e["id"])
    section = Section(_("In this segment"), "segment")
    section.fact(_("Dermatome key point"), e.get("key_point") or none(_("not stated")))
    roles = {"sympathetic": _("sympathetic"), "parasympathetic": _("parasympathetic")}
    section.fact(_("Organs"), [With(Link("organ", o["organ"]["id"], localize.text(o["organ"])),
                                    sentence(str(roles.get(r, r)) for r in o["roles"])
                                    + ("" if o["default"] else ", " + _("map “%(map)s”") % {"map": map_title(
                                        {"id": o["map"]})}))
                               for o in found["organs"]] or none())
    section.fact(_("Head zones"), [With(Link("organ", h["organ"]["id"], localize.text(h["organ"])), _head_zone_area(h))
                                   for h in found["head_zones"]] or none())
    section.fact(_("Ganglia"), [Link("ganglion", g["id"], localize.text(g)) for g in found["ganglia"]] or none())
    section.fact(_("Techniques"), [Link("technique", t["id"], localize.text(t)) for t in found["techniques"]] or none())
    section.fact(_("Body regions"), [Link("region", r["id"], localize.text(r)) for r in found["regions"]] or none())
    mono.sections.append(section)


def _head_zone_area(found):
    """The area of a Head zone found by relations.segment_links, in the active language."""
    organ = localize.entry(found["organ"])
    return next((m.get("head_zone_area", "") for m in organ["maps"] if m["id"] == found["map"]), found["area"])


def organ_layout(kb, e, mono):
    # The page shows the maps in a section of their own, each with its sources and evidence.
    default = e.get("default")
    for organ_map in sorted(e.get("maps") or [], key=lambda m: m.get("id") != default):
        mono.sections.append(Section(map_title(organ_map), f"map-{organ_map.get('id')}", on_page=False,
                                     facts=organ_map_facts(kb, organ_map)))


def organ_map_facts(kb, organ_map):
    """One organ map's facts as labelled values (the maps section of an organ's page)."""
    facts = []
    for key, title in (("sympathetic", _("Sympathetic supply")), ("parasympathetic", _("Parasympathetic supply")),
                       ("head_zone", _("Head zone"))):
        values = organ_map.get(key) or []
        if values:
            facts.append((title, segment_list(kb, values), ""))
    if organ_map.get("parasympathetic_note"):
        facts.append((_("Parasympathetic supply, note"), organ_map["parasympathetic_note"], ""))
    if organ_map.get("head_zone_area"):
        facts.append((_("Head zone area"), organ_map["head_zone_area"], ""))
    referred = organ_map.get("referred_regions") or []
    if referred:
        facts.append((_("Pain referred to"), [
            _("%(side)s %(region)s") % {"region": code_label(r["region"], "region").lower(),
                                        "side": code_label(r["side"], "side")} if r.get("side")
            else code_label(r["region"], "region") for r in referred], organ_map.get("referral_note", "")))
    if organ_map.get("motor"):
        facts.append((_("Motor supply"), generic_value("motor", organ_map["motor"]), ""))
    if organ_map.get("note"):
        facts.append((_("Note"), organ_map["note"], ""))
    shown = {"id", "sources", "evidence", "sympathetic", "parasympathetic", "head_zone", "parasympathetic_note",
             "head_zone_area", "referred_regions", "referral_note", "motor", "note",
             "default", "cited", "facts", "title"}  # what relations.organ_maps() adds for the page
    for key, value in organ_map.items():
        if key not in shown and value is not None:
            facts.append((label(key), generic_value(key, value), ""))
    if not facts:
        facts.append((_("Spinal segments"), none(_("none found in the sources")), ""))
    return facts


MAP_TITLES = {"gpnotebook": gettext_lazy("Spinal levels (GPnotebook)"), "head-zones": gettext_lazy("Head zones"),
              "osteopathic": gettext_lazy("Osteopathic viscerosomatic reflexes"),
              "coeliac": gettext_lazy("Through the coeliac plexus"),
              # An organ with no level in any source keeps a map with this id, empty and unsourced.
              "none": gettext_lazy("No segment level found")}


def map_title(organ_map, cited=()):
    if organ_map["id"] in MAP_TITLES:
        return str(MAP_TITLES[organ_map["id"]])
    return cited[0]["name"] if cited else label(organ_map["id"])


def region_layout(kb, e, mono):
    supply = Section(_("Skin supply"), "supply")
    supply.fact(_("Dermatomes"), segment_list(kb, e.get("dermatomes") or []) or none())
    supply.fact(_("Trigeminal nerve"), sentence(str(TRIGEMINAL.get(t, t)) for t in e.get("trigeminal") or [])
                or none())
    supply.notes.append(_("Dermatomes overlap and vary between people; treat them as a starting point to check "
                          "clinically."))
    mono.sections.append(supply)
    region_id = e["id"]
    related = Section(_("Related"), "related")
    ganglia = [Link("ganglion", g["id"], localize.text(g)) for g in kb.all("ganglion")
               if region_id in (g.get("serves") or {}).get("regions", [])]
    related.fact(_("Ganglia the assessment suggests for it"), ganglia or none())
    areas = [Link("red-flag-area", a["id"], localize.text(a)) for a in kb.all("red-flag-area")
             if region_id in a.get("regions", [])]
    related.fact(_("Red-flag screening"), areas or none())
    parts = [Link("choir-segment", c["id"], localize.text(c)) for c in kb.all("choir-segment")
             if region_id in c.get("regions", [])]
    related.fact(_("On the body map"), parts or none())
    mono.sections.append(related)


def choir_layout(kb, e, mono):
    view = _("front") if e.get("view") == "front" else _("back")
    side = code_label(e.get("side"), "side").lower()
    e.get("label")
    mono.lead.append(_("Body-map segment %(number)s, seen from the %(view)s, on the patient's %(side)s side.")
                     % {"number": e["id"], "view": view, "side": side})
    section = Section(_("What it covers"), "covers")
    section.fact(_("Body regions"), links(kb, "region", e.get("regions"), "region") or none())
    section.fact(_("Dermatomes"), segment_list(kb, e.get("dermatomes") or []) or none())
    section.fact(_("Trigeminal nerve"), sentence(str(TRIGEMINAL.get(t, t)) for t in e.get("trigeminal") or [])
                 or none())
    section.notes.append(_("No published mapping from body-map segments to dermatomes was found: these come from "
                           "the regions the segment covers. Check clinically."))
    mono.sections.append(section)


def field_category_layout(kb, e, mono):
    section = Section(_("The category"), "category")
    section.fact(_("History items it covers"), codes(e.get("kinds"), "history_kind") or none())
    section.fact(_("Examples"), _listed(e.get("examples")) or none())
    section.fact(_("Local signs to look for"), codes(e.get("local_signs"), "sign") or none())
    prior = e.get("prior")
    section.fact(_("How often practitioners name it"),
                 _("Often, among the first") if prior == "high" else _("As often as the rest"), e.get("prior_note", ""))
    mono.sections.append(section)
    quadrants = e.get("trigeminal_by_quadrant") or {}
    if quadrants:
        rows = [[_("Quadrant %(q)s (%(where)s)") % {"q": q, "where": QUADRANTS.get(str(q), "")},
                 str(TRIGEMINAL.get(v, v))] for q, v in sorted(quadrants.items(), key=lambda i: str(i[0]))]
        mono.sections.append(Section(_("Teeth and the trigeminal nerve"), "trigeminal", tables=[
            Table([_("Teeth (FDI quadrant)"), _("Supplied by")], rows)], notes=[e.get("trigeminal_note", "")]))


def protocol_layout(kb, e, mono):
    layout = PROTOCOLS.get(e["id"])
    if layout is not None:
        layout(kb, e, mono)
    _protocol_common(kb, e, mono)


def _protocol_common(kb, e, mono):
    """Fields several protocols share: signs, steps, and whether the figures were checked."""
    signs = e.get("signs")
    if signs and not any(s.slug == "signs" for s in mono.sections):
        section = Section(_("Signs"), "signs", tone="emergency")
        if isinstance(signs, dict):
            titles = {"neurological": _("Neurological"), "cardiac": _("Cardiovascular")}
            for key, values in signs.items():
                section.fact(titles.get(key, label(key)), _listed(values))
        else:
            section.prose.append(_listed(signs))
        mono.sections.insert(0, section)
    steps = e.get("management")
    if steps and not any(s.slug == "management" for s in mono.sections):
        mono.sections.insert(1 if signs else 0, Section(_("What to do"), "management", steps=list(steps),
                                                          tone="emergency"))
    if "verified" in e and not any(s.slug == "checked" for s in mono.sections):
        if not e["verified"]:
            mono.sections.append(Section(_("Not yet checked"), "checked", prose=[
                _("These figures are not yet checked against the source's own text.")], tone="caution"))


def _last(kb, e, mono):
    lipid = e.get("lipid_emulsion") or {}
    section = Section(_("Lipid emulsion"), "lipid-emulsion", tone="emergency")
    threshold = lipid.get("weight_threshold_kg")
    below, above = lipid.get("at_or_below_threshold") or {}, lipid.get("above_threshold") or {}
    dose_on = _("lean body weight") if lipid.get("dose_on") == "lean" else _("actual body weight")
    section.fact(_("Emulsion"), _("%(percent)s %% lipid emulsion") % {"percent": number(lipid.get("concentration_percent"))})
    if below:
        section.fact(_("Patients up to %(kg)s kg") % {"kg": number(threshold)},
                     _("bolus %(bolus)s mL/kg of %(basis)s over %(minutes)s min, then %(rate)s mL/kg/min")
                     % {"bolus": number(below.get("bolus_ml_per_kg")), "basis": dose_on,
                        "minutes": below.get("bolus_minutes"), "rate": number(below.get("infusion_ml_per_kg_per_min"))})
    if above:
        section.fact(_("Patients over %(kg)s kg") % {"kg": number(threshold)},
                     _("bolus %(bolus)s mL over %(minutes)s min, then %(low)s–%(high)s mL over %(infusion)s min")
                     % {"bolus": number(above.get("bolus_ml")), "minutes": above.get("bolus_minutes"),
                        "low": number(above.get("infusion_ml_min")), "high": number(above.get("infusion_ml_max")),
                        "infusion": above.get("infusion_minutes")})
    if lipid.get("threshold_on"):
        section.notes.append(_("The %(kg)s kg threshold is the patient's %(basis)s.")
                             % {"kg": number(threshold), "basis": _("actual weight") if lipid["threshold_on"] == "actual"
                                else _("lean body weight")})
    if lipid.get("if_unstable"):
        section.fact(_("If the patient stays unstable"), lipid["if_unstable"])
    if lipid.get("continue_minutes_after_stability"):
        section.fact(_("Continue"), _("at least %(minutes)s min after the circulation is stable")
                     % {"minutes": number(lipid["continue_minutes_after_stability"])})
    if lipid.get("max_ml_per_kg"):
        basis = _("on the weight the doses are computed on") if lipid.get("max_on") == "dose_weight" else ""
        section.fact(_("Upper limit"), _("about %(ml)s mL/kg over the first %(minutes)s min %(basis)s")
                     % {"ml": number(lipid["max_ml_per_kg"]), "minutes": number(lipid.get("max_minutes")),
                        "basis": basis})
    mono.sections.append(section)
    monitoring = kb.get("protocol", "last-monitoring")
    if monitoring is not None:  # the management's last step refers to it
        mono.sections.append(Section(_("After the event"), "after-the-event", facts=[
            (_("How long to monitor"), Link("protocol", monitoring["id"], localize.text(monitoring)), "")]))
    if "incidence" in e:
        mono.sections.append(Section(_("How often"), "incidence", facts=[(_("Incidence"), e["incidence"], "")]))


def _last_aagbi(kb, e, mono):
    r = e.get("regimen") or {}
    section = Section(_("Lipid emulsion"), "lipid-emulsion", tone="emergency")
    section.fact(_("Emulsion"), _("%(percent)s %% lipid emulsion") % {"percent": number(r.get("concentration_percent"))})
    section.fact(_("Bolus"), _("%(ml)s mL/kg over %(minutes)s min")
                 % {"ml": number(r.get("bolus_ml_per_kg")), "minutes": number(r.get("bolus_minutes"))})
    section.fact(_("Then infusion"), _("%(ml)s mL/kg/h") % {"ml": number(r.get("infusion_ml_per_kg_per_hour"))})
    section.fact(_("If the patient stays unstable"),
                 _("repeat the bolus up to %(times)s times, %(minutes)s min apart, and double the infusion to "
                   "%(ml)s mL/kg/h") % {"times": number(r.get("repeat_boluses_max")),
                                        "minutes": number(r.get("repeat_after_minutes")),
                                        "ml": number(r.get("doubled_infusion_ml_per_kg_per_hour"))})
    section.fact(_("Upper limit"), _("%(ml)s mL/kg in total") % {"ml": number(r.get("max_ml_per_kg"))})
    if r.get("dose_on"):
        section.notes.append(_("Doses per kg of actual body weight, as the guideline writes them; in an obese "
                               "patient the ASRA doses on lean body weight are lower.") if r["dose_on"] == "actual"
                             else _("Doses per kg of lean body weight."))
    mono.sections.append(section)


def _last_monitoring(kb, e, mono):
    section = Section(_("How long to watch"), "monitoring")
    if "after_cns_event_hours_min" in e:
        section.fact(_("After a seizure or other nervous-system sign"),
                     _("at least %(hours)s h") % {"hours": number(e["after_cns_event_hours_min"])})
    if "after_cardiovascular_event_hours" in e:
        section.fact(_("After a cardiovascular event"), f"{e['after_cardiovascular_event_hours']} h")
    if e.get("advice"):
        section.prose.append(e["advice"])
    mono.sections.append(section)


def _lean_body_weight(kb, e, mono):
    formula = e.get("formula") or {}
    rows = []
    for sex, f in formula.items():
        rows.append([code_label(sex, "sex"),
                     _("%(n)s × weight ÷ (%(i)s + %(s)s × BMI)") % {"n": number(f.get("numerator")),
                                                                   "i": number(f.get("intercept")),
                                                                   "s": number(f.get("slope"))}])
    section = Section(_("Formula"), "formula", tables=[Table([_("Sex"), _("Lean body weight (kg)")], rows)],
                      notes=[_("Weight in kg; BMI = weight ÷ height² (kg/m²).")])
    if e.get("sex_unknown") == "lower":
        section.fact(_("Sex not recorded as female or male"), _("the lower of the two estimates (a lower dose)"))
    elif "sex_unknown" in e:
        section.fact(_("Sex not recorded as female or male"), code_label(e["sex_unknown"]))
    if "derived_in" in e:
        section.fact(_("Derived and validated in"), code_label(e["derived_in"]).lower())
    if "adult_from_years" in e:
        section.fact(_("Adults from"), _("%(years)s years") % {"years": number(e["adult_from_years"])})
    mono.sections.append(section)


def _anaphylaxis(kb, e, mono):
    a = e.get("adrenaline") or {}
    if a:
        section = Section(_("Adrenaline (epinephrine)"), "adrenaline", tone="emergency")
        section.fact(_("Strength"), _("%(mg)s mg/mL") % {"mg": number(a.get("concentration_mg_per_ml"))})
        section.fact(_("Route"), a.get("route", ""))
        dose = a.get("dose_mg_per_kg")
        conc = a.get("concentration_mg_per_ml")
        text = _("%(mg)s mg/kg") % {"mg": number(dose)}
        if dose and conc:
            text += " " + _("(%(ml)s mL/kg)") % {"ml": number(dose / conc)}
        section.fact(_("Dose"), text)
        if "adult_max_mg" in a:
            section.fact(_("Adults at most"), _("%(mg)s mg per dose") % {"mg": number(a["adult_max_mg"])})
        if "repeat_after_minutes" in a:
            section.fact(_("Repeat"), _("after %(minutes)s min if there is no improvement")
                         % {"minutes": number(a["repeat_after_minutes"])})
        mono.sections.append(section)


def _equipment(kb, e, mono):
    items = e.get("items") or []
    mono.sections.append(Section(_("Checklist"), "checklist", bullets=[i.get("name", "") for i in items]))
    if e.get("requirement"):
        mono.sections.append(Section(_("Why"), "requirement", prose=[e["requirement"]]))


# An adverse event's severities and outcomes as the event form names them (treatment's choices).
REACTION_WORDS = {"life_threatening": gettext_lazy("Life-threatening"), "fatal": gettext_lazy("Fatal"),
                  "severe": gettext_lazy("Severe"), "moderate": gettext_lazy("Moderate"), "mild": gettext_lazy("Mild")}


def _reaction_words(codes):
    return either(_lower(REACTION_WORDS.get(c) or code_label(c)) for c in codes)


def _pharmacovigilance(kb, e, mono):
    serious = e.get("serious_when") or {}
    section = Section(_("When a reaction is serious"), "serious")
    if serious.get("severity"):
        section.fact(_("Severity"), _reaction_words(serious["severity"]))
    if serious.get("outcome"):
        section.fact(_("Outcome"), _reaction_words(serious["outcome"]))
    if e.get("criteria_to_state"):
        section.fact(_("Also serious, stated by the reporter"), either(e["criteria_to_state"]))
    if e.get("causality_scale"):
        section.fact(_("Causality"), _("%(scale)s scale") % {"scale": e["causality_scale"]})
    mono.sections.append(section)


def _huneke(kb, e, mono):
    c = e.get("criteria") or {}
    section = Section(_("Criteria"), "criteria")
    if c.get("site"):
        section.fact(_("Site"), c["site"])
    if "onset_seconds_max" in c:
        section.fact(_("Onset"), _("within %(seconds)s s") % {"seconds": number(c["onset_seconds_max"])}
                     + (f" ({minutes(c['onset_seconds_max'] / 60)})" if c["onset_seconds_max"] >= 60 else ""))
    if "relief_percent_min" in c:
        section.fact(_("Relief"), _("at least %(percent)s %% of the remote complaint")
                     % {"percent": number(c["relief_percent_min"])})
    if "duration_hours_min" in c:
        text = _("at least %(hours)s h") % {"hours": number(c["duration_hours_min"])}
        if "duration_hours_min_tooth" in c:
            text += "; " + _("at least %(hours)s h for teeth and jaw") % {"hours": number(c["duration_hours_min_tooth"])}
        section.fact(_("Duration"), text)
    if c.get("reproducible"):
        section.fact(_("Reproducible"), c["reproducible"])
    if "partial_relief_percent_min" in c:
        section.fact(_("Partial response"), _("relief of at least %(percent)s %%, short of the criteria above")
                     % {"percent": number(c["partial_relief_percent_min"])})
    shown = {"site", "onset_seconds_max", "relief_percent_min", "duration_hours_min", "duration_hours_min_tooth",
             "reproducible", "partial_relief_percent_min"}
    for key, value in c.items():
        if key not in shown:
            section.fact(label(key), generic_value(key, value))
    mono.sections.append(section)
    practice = Section(_("In practice"), "practice")
    for key, title in (("negative_test", _("Negative test")), ("course", _("Course")),
                       ("test_practice", _("How to test")), ("looser_definition", _("Looser definitions"))):
        if e.get(key):
            practice.fact(title, e[key])
    mono.sections.append(practice)
    if e.get("thresholds_note"):
        mono.sections.append(Section(_("About the thresholds"), "thresholds", prose=[e["thresholds_note"]],
                                     tone="caution"))


PROTOCOLS = {"last": _last, "last-aagbi": _last_aagbi, "last-monitoring": _last_monitoring,
             "lean-body-weight": _lean_body_weight, "anaphylaxis": _anaphylaxis, "emergency-equipment": _equipment,
             "pharmacovigilance": _pharmacovigilance, "huneke": _huneke}


def red_flag_layout(kb, e, mono):
    section = Section(_("What to do"), "action", prose=[e.get("action", "")], tone="emergency")
    mono.sections.append(section)
    screening = Section(_("When it is asked"), "screening")
    areas = [e.get("area"), *(e.get("also_areas") or [])]
    screening.fact(_("Screening areas"), [_link(kb, "red-flag-area", a, str(RED_FLAG_AREAS.get(a, a))) for a in areas if a])
    if "min_age_years" in e:
        screening.fact(_("Age"), _("from %(years)s years") % {"years": number(e["min_age_years"])})
    derived = e.get("derived")
    if derived:
        if derived.get("rule") == "age_at_onset_at_least":
            screening.fact(_("Found by the assessment"),
                           _("the complaint began at %(years)s years of age or later") % {"years": number(derived.get("years"))})
        else:
            screening.fact(_("Found by the assessment"), generic_value("derived", derived))
    screening.notes.append(_("Any red flag puts conventional work-up first in the assessment."))
    mono.sections.append(screening)


def red_flag_area_layout(kb, e, mono):
    section = Section(_("Which complaints"), "complaints")
    if e.get("always"):
        section.prose.append(_("Asked for every complaint."))
    section.fact(_("Body regions"), links(kb, "region", e.get("regions"), "region") or none())
    section.fact(_("Organs"), links(kb, "organ", e.get("organs"), "organ") or none())
    mono.sections.append(section)
    flags = [Link("red-flag", f["id"], localize.text(f)) for f in kb.all("red-flag")
             if e["id"] == f.get("area") or e["id"] in (f.get("also_areas") or [])]
    mono.sections.append(Section(_("Red flags asked"), "flags", bullets=flags or [none()]))


def instrument_layout(kb, e, mono):
    section = Section(_("Scoring"), "scoring")
    rng = e.get("range")
    if rng:
        section.fact(_("Score range"), span(rng["min"], rng["max"]))
    if "better" in e:
        section.fact(_("Better score"), _("a lower score is better") if e["better"] == "lower"
                     else _("a higher score is better") if e["better"] == "higher" else code_label(e["better"]))
    if "items" in e:
        section.fact(_("Items"), number(e["items"]))
    if e.get("scoring"):
        section.fact(_("Scoring"), e["scoring"])
    if e.get("formula"):
        section.fact(_("Formula"), e["formula"])
    if "threshold" in e:
        section.fact(_("Threshold"), number(e["threshold"]))
    change = e.get("important_change")
    if change:
        parts = []
        if "points" in change:
            parts.append(_("%(points)s points") % {"points": number(change["points"])})
        if "percent" in change:
            parts.append(_("%(percent)s %%") % {"percent": number(change["percent"])})
        text = _(" or ").join(parts)
        if "substantial_percent" in change:
            text += "; " + _("substantial from %(percent)s %%") % {"percent": number(change["substantial_percent"])}
        section.fact(_("A change that matters"), text)
    loinc = e.get("loinc")
    if loinc:
        if isinstance(loinc, dict):
            parts = {"panel": _("panel"), "total": _("total score")}
            section.fact(_("LOINC codes"), "; ".join(f"{parts.get(k, label(k))} {v}" for k, v in loinc.items()))
        else:
            section.fact(_("LOINC code"), str(loinc))
    if "free_to_embed" in e:
        section.fact(_("Licence"), _("free to use: Segmenta ships the questionnaire") if e["free_to_embed"]
                     else _("licence needed or unclear: Segmenta ships no item text"))
    versions = e.get("translations") or {}  # where the questionnaire's German and Spanish come from
    for language, title in (("de", _("German version")), ("es", _("Spanish version"))):
        if versions.get(language):
            section.fact(title, versions[language])
    if versions.get("note"):
        section.fact(_("Language versions"), versions["note"])
    mono.sections.append(section)
    bands = e.get("bands") or []
    if bands:
        rows = []
        top = rng["max"] if rng else None
        for i, band in enumerate(bands):
            high = bands[i + 1]["min"] - 1 if i + 1 < len(bands) else top
            rows.append([span(band["min"], high) if high is not None else f"{number(band['min'])}+",
                         _cap(code_label(band.get("band")))])
        mono.sections.append(Section(_("Severity bands"), "bands", tables=[Table([_("Score"), _("Severity")], rows)]))
    categories = e.get("categories") or []
    if categories:
        responders = set(e.get("responder_categories") or [])
        rows = [[str(i + 1), _cap(code_label(c)), _("yes") if c in responders else none(_("no"))]
                for i, c in enumerate(categories)]
        mono.sections.append(Section(_("Answers"), "answers", tables=[
            Table([_("Score"), _("Answer"), _("Counts as a responder")], rows)]))
    alerts = e.get("alerts") or []
    if alerts:
        section = Section(_("Alerts"), "alerts", tone="caution")
        for alert in alerts:
            cited = [(kb.source(s) or {"name": s})["name"] for s in alert.get("sources") or []]
            basis = _("Evidence: %(evidence)s. Sources: %(sources)s.") % {
                "evidence": code_label(alert.get("evidence")),
                "sources": "; ".join(cited) if cited else _("no source was found")}
            section.fact(_("Item %(item)s above %(above)s") % {"item": alert.get("item", "").split("-")[-1],
                                                              "above": number(alert.get("above"))},
                         alert.get("message", ""), " ".join(t for t in (alert.get("note", ""), basis) if t))
        mono.sections.append(section)


def study_layout(kb, e, mono):
    section = Section(_("The study"), "study")
    for key in ("about", "design", "size", "outcomes"):
        if key in e:
            section.fact(label(key), e[key] or none(_("not stated")))
    section.fact(_("Result"), e.get("result") or none(_("No result summary was extracted.")))
    mono.sections.append(section)


def _jurisdictions(kb, codes_):
    names = []
    for code in codes_ or []:
        if code == "any":
            names.append(_("every jurisdiction"))
            continue
        country = kb.get("crisis-contact", code.split("-")[0]) if "crisis-contact" in kb.entries else None
        names.append(f"{country['name'].split(' (')[0]} ({code})" if country else code)
    return sentence(names)


def scope_rule_layout(kb, e, mono):
    section = Section(_("The rule"), "rule")
    section.fact(_("Applies in"), _cap(_jurisdictions(kb, e.get("jurisdictions"))))
    if e.get("except_jurisdictions"):
        section.fact(_("Except in"), _cap(_jurisdictions(kb, e["except_jurisdictions"])))
    if "when_jurisdiction_unknown" in e:
        section.fact(_("Clinic's jurisdiction unknown"), _("The rule is skipped") if e["when_jurisdiction_unknown"] == "skip"
                     else _("The rule applies"))
    section.fact(_("Professions"), codes(e.get("professions"), "profession") or none())
    if e.get("allowed_targets"):
        text = links(kb, "technique", e["allowed_targets"], "injection_target")
        section.fact(_("May inject only"), text)
    if "max_concentration_percent" in e:
        section.fact(_("Highest concentration"), f"{number(e['max_concentration_percent'])} %")
    if e.get("targets"):
        section.fact(_("Reserved targets"), links(kb, "technique", e["targets"], "injection_target"))
    for exception in e.get("exceptions") or []:
        section.fact(_("Exception: %(profession)s") % {"profession": code_label(exception.get("profession"), "profession")},
                     links(kb, "technique", exception.get("targets"), "injection_target"))
    status = e.get("status")
    if status == "unknown":
        section.fact(_("Right to inject"), _("Unknown there: every injection asks to check the licence"))
    elif status == "denied":
        section.fact(_("Right to inject"), _("None there: every injection is refused"))
    if e.get("treat_as"):
        section.fact(_("Counts as"), code_label(e["treat_as"], "profession"))
    if e.get("rule"):
        section.prose.append(e["rule"])
    if "enforcement" in e:
        section.fact(_("When the rule is broken"), check_says(e["enforcement"]))
    if "deep_enforcement" in e:
        section.fact(_("At a deep target"), check_says(e["deep_enforcement"]))
    mono.sections.append(section)


SAFETY_PARAMETERS = {
    "valid_days": (gettext_lazy("A “not pregnant” status stays current for"), "days"),
    "ages": (gettext_lazy("Ages"), "ages"),
    "hard_stop_unknown": (gettext_lazy("With the status unknown, at a target that is a hard stop in pregnancy"),
                          "verdict"),
    "child_below_years": (gettext_lazy("A child is younger than"), "years"),
    "older_from_years": (gettext_lazy("An older patient is from"), "years"),
    "child_blocked_depths": (gettext_lazy("Blocked in children, injections"), "depths"),
    "child_blocked_targets": (gettext_lazy("Blocked in children, targets"), "targets"),
    "child_weight_unknown": (gettext_lazy("With a child's weight unknown"), "verdict"),
    "age_unknown": (gettext_lazy("With the age unknown"), "verdict"),
    "unknown": (gettext_lazy("When it is not known"), "verdict"),
    "unclassified": (gettext_lazy("For an allergy without a class"), "verdict"),
    "classes": (gettext_lazy("Medications of the class"), "medication_classes"),
    "verdict": (gettext_lazy("When the rule applies"), "verdict"),
    "window_hours": (gettext_lazy("Time window"), "hours"),
    "side_unknown": (gettext_lazy("With the side not recorded"), "verdict"),
    "targets": (gettext_lazy("Targets"), "targets"),
    "required_scope": (gettext_lazy("The consent must cover"), "scope"),
    "deep_verdict": (gettext_lazy("At a deep target"), "verdict"),
    "other_verdict": (gettext_lazy("At any other target"), "verdict"),
}


def safety_rule_layout(kb, e, mono):
    rule_text = e.get("rule", "")
    params = {k: v for k, v in e.entry.items() if k not in PAGE_FIELDS | {"rule", "note"}}
    section = Section(_("The rule"), "rule", prose=[_with_values(rule_text, params)] if rule_text else [])
    mono.sections.append(section)
    values = Section(_("Its parameters"), "parameters",
                     notes=[_("A clinic may change these (Learn › Clinic overrides); the safety check then uses the "
                              "clinic's values.")])
    for key, value in params.items():
        if key in SAFETY_PARAMETERS:
            e.get(key)
            title, how = SAFETY_PARAMETERS[key]
            values.fact(str(title), _parameter(kb, how, value))
    e.get("rule")
    if "policy" in params:
        e.get("policy")
        classes = ["low", "intermediate", "high"]
        rows = [[str(BLEEDING_POLICIES.get(p, code_label(p))), *[verdict(row.get(c)) for c in classes]]
                for p, row in params["policy"].items()]
        if "coagulopathy" in params:
            e.get("coagulopathy")
            rows.append([_("Coagulopathy"), *[verdict(params["coagulopathy"].get(c)) for c in classes]])
        values.tables.append(Table([_("Agent"), _("Low"), _("Intermediate"), _("High")], rows,
                                   caption=_("Within the hold time, by the procedure's bleeding risk (ASRA)")))
    if "unidentified" in params:
        e.get("unidentified")
        rows = [[code_label(k, "medication_class"), str(BLEEDING_POLICIES.get(v.get("policy"), v.get("policy"))),
                 str(REASON_CODES.get(v.get("code"), v.get("code")))] for k, v in params["unidentified"].items()]
        values.tables.append(Table([_("A medicine of the class"), _("Treated as"), _("Reported as")], rows,
                                   caption=_("Blood thinners not matched by name")))
    if "verdicts" in params:
        e.get("verdicts")
        names = {"none": _("With no consent on record"),
                 "withdrawn": _("With the consent withdrawn"),
                 "refused": _("With the consent refused")}
        for key, value in params["verdicts"].items():
            values.fact(str(names.get(key, label(key))), check_says(value))
    mono.sections.append(values)


def _parameter(kb, how, value):
    if how == "verdict":
        return check_says(value)
    if how == "days":
        return _("%(days)s days") % {"days": number(value)}
    if how == "years":
        return _("%(years)s years") % {"years": number(value)}
    if how == "hours":
        return f"{number(value)} h"
    if how == "ages":
        return _("%(min)s to %(max)s years") % {"min": number(value.get("min")), "max": number(value.get("max"))}
    if how == "depths":
        return _cap(sentence(str(DEPTHS.get(d, code_label(d))).lower() for d in value))
    if how == "targets":
        return links(kb, "technique", value, "injection_target") or none()
    if how == "scope":
        return code_label(value, "consent_scope")
    if how == "medication_classes":
        return _cap(sentence(code_label(c, "medication_class") for c in value))
    return generic_value("", value)


def _with_values(text, params):
    """A rule's prose with its own parameters' names replaced by their values ("older than
    valid_days" → "older than 30 days"), so it reads as a sentence and follows an override."""
    for key, value in params.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool) and re.search(rf"\b{key}\b", text):
            how = SAFETY_PARAMETERS.get(key, ("", ""))[1]
            text = re.sub(rf"\b{re.escape(key)}\b", str(_parameter(None, how, value)) if how in ("days", "years", "hours")
                          else number(value), text)
    return text


def bleeding_agent_layout(kb, e, mono):
    section = Section(_("Before an injection"), "hold")
    section.fact(_("Kind of agent"), str(BLEEDING_POLICIES.get(e.get("policy"), code_label(e.get("policy")))))
    section.fact(_("Stop before an intermediate- or high-risk procedure"), hours(e.get("hold_hours", 0)),
                 e.get("hold_note", ""))
    for condition, value in (e.get("hold_hours_for_conditions") or {}).items():
        section.fact(_("With %(condition)s") % {"condition": code_label(condition, "condition").lower()}, hours(value))
    if e.get("requires_finding"):
        section.fact(_("Also needed"), _("the session's finding “%(finding)s”")
                     % {"finding": code_label(e["requires_finding"], "finding")})
    section.fact(_("The safety check reports it as"),
                 _cap(REASON_CODES.get(e.get("code"), code_label(e.get("code")))))
    mono.sections.append(section)
    names = Section(_("Recognised by the names"), "names",
                    prose=[", ".join(name[:1].upper() + name[1:] for name in e.get("names") or [])],
                    notes=[_("Matched in a patient's medications as words, or as the first part of a hyphenated "
                             "name; a combination product counts for each of its parts.")])
    mono.sections.append(names)
    if "verified" in e:
        mono.sections.append(Section(_("Checked against the source"), "checked", prose=[
            _("The hold time was read in the guideline's table.") if e["verified"]
            else _("Not yet checked against the guideline's tables.")], tone="" if e["verified"] else "caution"))


def test_method_layout(kb, e, mono):
    section = Section(_("The method"), "method", prose=[e.get("description", "")])
    if e.get("reliability"):
        section.fact(_("Reliability"), e["reliability"])
    mono.sections.append(section)


def tracing_weight_layout(kb, e, mono):
    params = {k: v for k, v in e.entry.items() if k.endswith(("points", "_years")) and isinstance(v, (int, float))}
    description = e.get("description", "")
    for key, value in params.items():
        # A fraction of a point takes the plural in English, German and Spanish; gettext's
        # plural rules take whole numbers only.
        count = int(value) if float(value).is_integer() else 2
        amount_ = (_("%(years)s years") % {"years": number(value)} if key.endswith("_years")
                   else ngettext("%(points)s point", "%(points)s points", count) % {"points": number(value)})
        description = re.sub(rf"\b{re.escape(key)}\b", amount_, description)
    section = Section(_("How it counts"), "counts", prose=[description])
    names = {"base_points": _("Base points"), "extra_points": _("Extra points, at most"),
             "horizon_years": _("Fading to zero over"), "points_per_segment": _("Points for each shared segment"),
             "points_per_sign": _("Points for each sign"), "max_points": _("Points at most"), "points": _("Points")}
    for key, title in names.items():
        if key in e:
            value = e[key]
            section.fact(title, _("%(years)s years") % {"years": number(value)} if key == "horizon_years" else number(value))
    if e.get("kinds"):
        section.fact(_("History items"), codes(e["kinds"], "history_kind"))
    if e.get("segments"):
        section.fact(_("Spinal segments"), segment_list(kb, e["segments"]))
    if e.get("scar_regions"):
        section.fact(_("Scars in"), links(kb, "region", e["scar_regions"], "region"))
    section.notes.append(_("The points order hypotheses to test; they never make a diagnosis."))
    mono.sections.append(section)


# Whom a leaflet's "call" section names, true of every leaflet printed (learning/leaflet.html):
# the clinic's phone, else a plea to use the practice's number; the jurisdiction's emergency
# number, else the patient's local one with Europe's named beside it.
LEAFLET_CALLS = {
    "practice": gettext_lazy("Printed with the clinic's phone; a clinic that has entered none asks the patient to "
                             "use the phone number the practice gave them."),
    "emergency": gettext_lazy("Printed with the emergency number of the clinic's jurisdiction; where the knowledge "
                              "base has none for it, the leaflet says to call the local emergency number and names "
                              "Europe's beside it.")}


def leaflet_layout(kb, e, mono):
    """A patient leaflet as the patient reads it, each section with its evidence and sources."""
    mono.lead.append(e["summary"])
    for number, part in enumerate(e["sections"], start=1):
        section = Section(part["heading"], f"part-{number}", prose=list(part.get("paragraphs", [])),
                          bullets=list(part.get("bullets", [])))
        if part.get("call"):
            section.notes.append(str(LEAFLET_CALLS[part["call"]]))
        names = [kb.source(key)["name"] for key in part["sources"] if kb.source(key)]
        section.notes.append(_("Evidence: %(evidence)s.") % {"evidence": localize.evidence_label(part["evidence"])}
                             + (" " + _("Sources: %(sources)s.") % {"sources": "; ".join(names)} if names else ""))
        mono.sections.append(section)
    section = Section(_("This leaflet"), "leaflet")
    section.fact(_("Last reviewed"), l10n.day(date.fromisoformat(e["reviewed"])))
    mono.sections.append(section)


def crisis_contact_layout(kb, e, mono):
    rows = [[c.get("name", ""), Phone(c.get("phone", ""))] for c in e.get("contacts") or []]
    section = Section(_("Contacts"), "contacts", tables=[Table([_("Service"), _("Phone")], rows, stack=True)],
                      tone="emergency")
    section.fact(_("Emergency number"), Phone(e.get("emergency", "")))
    section.notes.append(_("Shown to patients after a questionnaire when the clinic has not entered its own contacts."))
    mono.sections.append(section)


def source_layout(kb, e, mono):
    section = Section(_("The source"), "source")
    section.fact(_("Type"), source_type_label(e.get("type")))
    if e.get("url"):
        section.fact(_("Address"), Url(e["url"], e["url"]))
    mono.sections.append(section)
    section = Section(_("Cited by"), "cited-by", searchable=False)
    by_kind = {}
    for link in _citations(kb).get(e["id"], []):
        by_kind.setdefault(link.kind, []).append(link)
    for kind, cited_links in by_kind.items():
        section.fact(str(kind_title(kind)), cited_links)
    if not by_kind:
        section.prose.append(none(_("No entry cites it.")))
    mono.sections.append(section)


def _citations(kb):
    """Every source's citing entries, computed once per version of the knowledge base and
    language: each link carries its entry's name in the reader's language."""
    key = (kb.version, localize.language())
    if key not in _CITATIONS:
        citations = {}
        for kind, entries in kb.entries.items():
            if kind == "source":
                continue
            for entry in entries.values():
                for source_id in sorted(cited(entry)):
                    citations.setdefault(source_id, []).append(Link(kind, entry["id"], localize.text(entry)))
        if any(version != kb.version for version, _lang in _CITATIONS):
            _CITATIONS.clear()
        _CITATIONS[key] = citations
    return _CITATIONS[key]


_CITATIONS = {}


def retention_layout(kb, e, mono):
    section = Section(_("How long charts are kept"), "retention")
    years = e.get("years")
    section.fact(_("Period"), _("%(years)s years") % {"years": number(years)} if years
                 else none(_("no single period: the clinic sets its own")))
    if e.get("counted_from"):
        section.fact(_("Counted from"), str(COUNTED_FROM.get(e["counted_from"], code_label(e["counted_from"]))))
    if "invoice_years" in e:
        invoice_years = e.get("invoice_years")
        e.get("invoice_counted_from")  # one value only: the end of the year of issue, said below
        section.fact(_("Issued invoices kept"), _("%(years)s years from the end of the year of issue") % {
            "years": number(invoice_years)} if invoice_years
            else none(_("no period known: a chart with issued invoices is never removed")))
        section.fact(_("Invoice period checked against the law"), yes_no(e.get("invoice_verified")))
    if "clinic_must_confirm" in e:
        section.fact(_("Clinic must confirm"), _("Yes: nothing is removed on this default until the clinic sets "
                                                 "its own period") if e["clinic_must_confirm"] else _("No"))
    mono.sections.append(section)


# What a measurement's code stands for (codes.yaml's ``measurement``).
MEASUREMENTS = {"body_weight": gettext_lazy("Weight"), "body_height": gettext_lazy("Height")}


def code_layout(kb, e, mono):
    """A standard code (codes.yaml): what it stands for, in words, and its codes as they are."""
    section = Section(_("Standard codes (SNOMED CT, ICD-10, LOINC)"), "codes")
    if e.get("vocabulary") and e.get("code"):
        section.fact(_("Stands for"), code_label(e["code"], e["vocabulary"]))
    if e.get("measurement"):
        section.fact(_("Stands for"), str(MEASUREMENTS.get(e["measurement"], code_label(e["measurement"]))))
    for key, name in (("snomed", "SNOMED CT"), ("icd10", "ICD-10"), ("loinc", "LOINC")):
        if e.get(key):
            section.fact(name, str(e[key]))
    if e.get("unit"):
        section.fact(_("Unit (UCUM)"), str(e["unit"]))
    mono.sections.append(section)


# The other systems' code systems that the FHIR import reads (field_codes.yaml, medication_codes.yaml).
CODE_SYSTEMS = {"snomed": "SNOMED CT", "icd10": "ICD-10", "rxnorm": "RxNorm", "atc": "ATC"}


def _foreign_code(e, section):
    """The code as its system writes it, and whether the entry was checked in the source."""
    section.fact(CODE_SYSTEMS.get(e["system"], str(e["system"])), str(e["code"]))
    section.fact(_("Checked against the source"), _("yes") if e.get("verified") else _("not yet"))


def field_code_layout(kb, e, mono):
    """Another system's code that names a candidate field: what the import proposes for it."""
    section = Section(_("What the FHIR import proposes"), "proposes")
    section.fact(_("History item"), code_label(e["kind"], "history_kind"))
    if e.get("regions"):
        section.fact(_("Body regions"), _listed(codes(e["regions"], "region")))
    if e.get("organs"):
        section.fact(_("Organs"), _listed(codes(e["organs"], "organ")))
    _foreign_code(e, section)
    mono.sections.append(section)


def substance_code_layout(kb, e, mono):
    """Another system's medication code: the class the import records it with."""
    section = Section(_("What the FHIR import records"), "records")
    section.fact(_("Medication class"), code_label(e["medication_class"], "medication_class"))
    if e.get("allergy_class"):
        section.fact(_("Allergy class"), code_label(e["allergy_class"], "allergy_class"))
    _foreign_code(e, section)
    mono.sections.append(section)


# How a fee schedule prices and how often a code counts (fee_schedules.yaml, fee_codes.yaml).
PRICING = {"points": gettext_lazy("Points × point value × factor"),
           "amount": gettext_lazy("An amount within the code's range"),
           "time": gettext_lazy("Time units at the practice's own rate")}
QUANTITIES = {"per_session": gettext_lazy("Once per session"),
              "per_area": gettext_lazy("Once per body region and side treated"),
              "per_unit": gettext_lazy("Per time unit"), "per_product": gettext_lazy("Per product used")}
SCOPES = {"same_area": gettext_lazy("for the same area"), "session": gettext_lazy("in the same session")}


def _money(value, currency):
    return none(_("not known: the practice enters its own")) if value is None else f"{l10n.number(value)} {currency}"


def fee_schedule_layout(kb, e, mono):
    """A fee schedule: where and for whom it applies, and how it prices."""
    section = Section(_("Fee schedule"), "fee-schedule")
    section.fact(_("Applies in"), ", ".join(e["jurisdictions"]))
    section.fact(_("For"), _listed(codes(e["professions"], "profession")))
    currency = e["currency"]
    section.fact(_("Currency"), currency)
    section.fact(_("Pricing"), str(PRICING[e["pricing"]]))
    if e.get("point_value") is not None:
        section.fact(_("Point value"), _("%(cent)s cent") % {"cent": l10n.number(Decimal(str(e["point_value"])) * 100)})
    factor = e.get("factor")
    if factor:
        section.fact(_("Factor"), _("%(min)s to %(max)s; proposed at %(default)s; above %(threshold)s only with a "
                                    "written justification") % {key: l10n.number(factor[key]) for key in factor
                                                                  if key != "note"})
        if factor.get("note"):
            section.notes.append(factor["note"])
    if e.get("time_unit_minutes"):
        section.fact(_("Time unit"), _("%(minutes)s minutes") % {"minutes": e["time_unit_minutes"]})
        section.fact(_("Rate per time unit"), _money(e.get("rate_per_unit"), currency))
    for engine_only in ("rounding", "expenses"):  # read by the pricing engine, said in the note
        e.get(engine_only)
    section.fact(_("Checked against the source"), yes_no(e.get("verified")))
    mono.sections.append(section)


# Whether a fee code's number was read in the schedule (fee_codes.yaml's ``number_status``):
# only a verified number, or a code without one, can be issued on an invoice.
NUMBER_STATUS = {
    "verified": gettext_lazy("read in the fee schedule"),
    "unverified": gettext_lazy("not yet checked: not issued until the practice confirms it"),
    "placeholder": gettext_lazy("a placeholder: the practice must set its own before issuing"),
    "no_number": gettext_lazy("none (an expense)"),
}


def fee_code_layout(kb, e, mono):
    """A fee code: its number and wording, its value, what it is proposed for and what it may
    not be billed with."""
    schedule = kb.get("fee-schedule", e["schedule"]) or {}
    currency = schedule.get("currency", "")
    section = Section(_("Fee code"), "fee-code")
    section.fact(_("Fee schedule"), localize.entry(schedule).get("name", e["schedule"]) if schedule else e["schedule"])
    section.fact(_("Code"), str(e["code"]))
    section.fact(_("Official wording"), e["wording"] if e.get("wording") else none(_("not verified")))
    if e.get("points") is not None:
        section.fact(_("Points"), l10n.number(e["points"]))
    amount = e.get("amount")
    if amount:
        known = amount["min"] is not None and amount["max"] is not None
        section.fact(_("Usual fee"), _("%(min)s to %(max)s") % {
            "min": _money(amount["min"], currency), "max": _money(amount["max"], currency)} if known
            else _money(None, currency))
    section.fact(_("Proposed for"), _listed(codes(e["targets"], "injection_target")) or none())
    section.fact(_("Counted"), str(QUANTITIES[e["quantity"]]))
    if e.get("several_areas_code"):
        section.fact(_("Several areas"), _("billed as %(code)s instead") % {"code": e["several_areas_code"]})
    rules = e.get("not_with") or []
    if rules:
        section.fact(_("Not billed beside"), "; ".join(f"{rule['code']} {SCOPES[rule['scope']]}" for rule in rules))
    section.fact(_("Expense"), yes_no(e.get("kind") == "expense"))
    section.fact(_("Checked against the source"), yes_no(e.get("verified")))
    section.fact(_("Its number"), str(NUMBER_STATUS.get(e.get("number_status"), e.get("number_status"))))
    mono.sections.append(section)


def awarding_body_layout(kb, e, mono):
    """A body that awards training (awarding_bodies.yaml): where, and whether it was checked."""
    section = Section(_("Awarding body"), "awarding-body")
    section.fact(_("Applies in"), ", ".join(e["jurisdictions"]))
    section.fact(_("Checked against the source"), yes_no(e.get("verified")))
    mono.sections.append(section)


def cme_requirement_layout(kb, e, mono):
    """A CME duty (cme_requirements.yaml): how many credits, in how many years, for whom."""
    section = Section(_("Continuing-education requirement"), "cme-requirement")
    section.fact(_("Applies in"), ", ".join(e["jurisdictions"]))
    section.fact(_("For"), _listed(codes(e["professions"], "profession")))
    section.fact(_("Credits"), _("%(credits)s in %(years)s years") % {
        "credits": number(e["credits"]), "years": number(e["period_years"])})
    if e.get("not_counted"):
        section.fact(_("Not counted by Segmenta"), e["not_counted"])
    section.fact(_("Checked against the source"), yes_no(e.get("verified")))
    mono.sections.append(section)


def vignette_layout(kb, e, mono):
    """A case of the case simulator: its story and what the learner will be asked. The hidden
    case, its red flags, the targets it discourages and the commentary stay off this page; the
    simulator's debrief shows them after a run."""
    mono.lead.append(e["story"])
    for hidden in ("case", "expected_red_flags", "discouraged_targets", "commentary", "seen_on"):
        e.get(hidden)
    section = Section(_("Case simulator"), "simulator")
    section.fact(_("Questions the learner may ask"), number(len(e["questions"])))
    section.fact(_("Run it"), Url(reverse("learning:simulator"), _("Open the case simulator")))
    mono.sections.append(section)


def course_module_layout(kb, e, mono):
    """A course module: its objectives, its readings and the size of its quiz. The questions
    and their answers stay off this page; the course asks them (Learn → Courses)."""
    mono.sections.append(Section(_("Objectives"), "objectives", bullets=list(e["objectives"])))
    readings = []
    for reading in e["readings"]:
        found = kb.get(reading["kind"], reading["id"]) if reading["kind"] in kb.entries else None
        readings.append(localize.text(found) if found else reading["id"])
    mono.sections.append(Section(_("Readings"), "readings", bullets=readings))
    section = Section(_("Quiz"), "quiz")
    section.fact(_("Questions"), number(len(e["questions"])))
    section.fact(_("Pass mark"), f"{number(e['pass_percent'])} %")
    section.fact(_("Order in the course"), number(e["order"]))
    section.fact(_("Take it"), Url(reverse("learning:course_module", args=[e["id"]]), _("Open the module")))
    mono.sections.append(section)


ION_SIGNS = {"K": "K⁺", "Na": "Na⁺", "Cl": "Cl⁻"}
CLAIM_STATUS = {"disputed": gettext_lazy("Disputed"), "refuted": gettext_lazy("Refuted"),
                "established": gettext_lazy("Established")}


def membrane_model_layout(kb, e, mono):
    """The membrane-potential lab's model neuron (membrane.yaml): its numbers, limits and presets."""
    section = Section(_("The model neuron"), "membrane-model")
    temperature = e["temperature_c"]
    section.fact(_("Temperature"), _("%(default)s °C (the lab takes %(low)s to %(high)s °C)") % {
        "default": number(temperature["default"]), "low": number(temperature["min"]),
        "high": number(temperature["max"])})
    for ion, values in e["concentrations_mmol_l"].items():
        section.fact(_("%(ion)s inside / outside") % {"ion": ION_SIGNS.get(ion, ion)},
                     f"{number(values['in'])} / {number(values['out'])} mmol/L")
    p = e["permeabilities"]
    section.fact(_("Relative permeabilities P_K : P_Na : P_Cl"), " : ".join(number(p[i]) for i in ("K", "Na", "Cl")))
    section.fact(_("Resting potential of neurons"), _("%(low)s to %(high)s mV") % {
        "low": number(e["resting_mv"]["min"]), "high": number(e["resting_mv"]["max"])})
    section.fact(_("Threshold"), amount(e["threshold_mv"], "mV"))
    section.fact(_("Sodium permeability with every channel open"),
                 _("%(times)s times that of potassium") % {"times": number(e["peak_p_na"])})
    section.fact(_("The lab takes"), _("concentrations from %(low)s to %(high)s mmol/L, permeabilities of 0 or from "
                                       "%(p_low)s to %(p_high)s") % {
        "low": l10n.number(e["concentration_min_mmol_l"]), "high": number(e["concentration_max_mmol_l"]),
        "p_low": l10n.number(e["permeability_min"]), "p_high": number(e["permeability_max"])})
    rows = [[p["name"], ", ".join(_preset_value(key, value) for key, value in p["values"].items()) or "—",
             amount(p["blocked_percent"], "%")] for p in e["presets"]]
    section.tables.append(Table([_("Preset"), _("Changed"), _("Sodium channels blocked")], rows,
                                caption=_("Presets")))
    mono.sections.append(section)


def _preset_value(field, value):
    """A preset's value by the lab's field name as people read it: k_out 12 → "K⁺ outside 12 mmol/L"."""
    ion, _sep, where = field.partition("_")
    if field == "temp_c":
        return f"{number(value)} °C"
    if ion == "p":
        return f"P {ION_SIGNS.get(where.capitalize(), where)} {number(value)}"
    side = _("inside") if where == "in" else _("outside")
    return f"{ION_SIGNS.get(ion.capitalize(), ion)} {side} {number(value)} mmol/L"


def membrane_text_layout(kb, e, mono):
    """A lesson of the lab, or a claim with its status and who states and questions it."""
    if e["role"] == "lesson":
        section = Section(_("What the lab teaches"), "lesson")
        section.prose.append(e["text"])
        mono.sections.append(section)
        return
    section = Section(_("The claim"), "claim")
    section.prose.append(e["text"])
    section.fact(_("Status"), str(CLAIM_STATUS.get(e.get("status"), e.get("status"))))
    names = {s: (kb.source(s) or {}).get("name", s) for s in [*e.get("stated_by", []), *e.get("questioned_by", [])]}
    section.fact(_("Stated by"), [names[s] for s in e["stated_by"]])
    section.fact(_("Questioned by"), [names[s] for s in e["questioned_by"]])
    mono.sections.append(section)
    answer = Section(_("What physiology and pharmacology say"), "assessment")
    answer.prose.append(e["assessment"])
    mono.sections.append(answer)


LAYOUTS = {
    "membrane-model": membrane_model_layout, "membrane-text": membrane_text_layout,
    "leaflet": leaflet_layout, "drug": drug_layout, "technique": technique_layout, "ganglion": ganglion_layout, "segment": segment_layout,
    "organ": organ_layout, "region": region_layout, "choir-segment": choir_layout,
    "field-category": field_category_layout, "protocol": protocol_layout, "red-flag": red_flag_layout,
    "red-flag-area": red_flag_area_layout, "instrument-threshold": instrument_layout, "study": study_layout,
    "scope-rule": scope_rule_layout, "safety-rule": safety_rule_layout, "bleeding-agent": bleeding_agent_layout,
    "test-method": test_method_layout, "tracing-weight": tracing_weight_layout, "code": code_layout,
    "field-code": field_code_layout, "substance-code": substance_code_layout,
    "crisis-contact": crisis_contact_layout, "source": source_layout, "retention": retention_layout,
    "fee-schedule": fee_schedule_layout, "fee-code": fee_code_layout,
    "awarding-body": awarding_body_layout, "cme-requirement": cme_requirement_layout,
    "vignette": vignette_layout,
}
LAYOUTS["course-module"] = course_module_layout
