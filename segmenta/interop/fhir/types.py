"""The resource types the FHIR API serves, each from one or more tables ("sources").

A resource id is the source's prefix and the row's id ("c-12": complaint 12, "k-12":
condition 12, both Conditions); a Patient's id is the patient's. Ids are the database's,
so they say nothing about another clinic's rows, and every query is limited to the clinics
of the token's user before anything else.

Each search parameter is a function (source, value) → Q, or None when the source cannot
hold a match; every type knows _id, _lastUpdated and _count, the clinical types
``patient`` too."""

from dataclasses import dataclass, field
from typing import Callable

from django.db.models import CharField, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Concat
from django.db.models import Case, When

from segmenta.outcomes.models import Response
from segmenta.patients import models as charts
from segmenta.patients.models import Patient
from segmenta.treatment.models import AdverseEvent, ComplaintScore, Injection, Session, TreatmentPlan

from . import params, resources, terms
from .questionnaires import QuestionnaireSource


def _latest_version(model):
    """When the row's latest version was made (its change history, read within the row's
    clinic as every read of patient data is); a row written without a version (bulk_create
    writes none) counts from when it was recorded or created (an injection: when it was given)."""
    versions = model.versions.model.objects.filter(id=OuterRef("pk"), clinic_id=OuterRef("clinic_id"))
    names = {f.name for f in model._meta.fields}
    made = next(name for name in ("recorded_at", "created_at", "time") if name in names)
    return Coalesce(Subquery(versions.order_by("-history_date").values("history_date")[:1]), F(made))


@dataclass
class Source:
    prefix: str  # "" for Patient, whose id is the patient's own
    model: type
    to_resource: Callable
    patient_path: str = "patient"  # how a row reaches its patient ("" for the Patient itself)
    only: Q = field(default_factory=Q)  # rows of the table this source takes
    code: Callable = None  # (system, code) -> Q, or None: no row can match
    dates: dict = field(default_factory=dict)  # {parameter: (field, "instant" | "day" | "partial")}
    related: tuple = ()  # more to read along with each row
    prefetch: tuple = ()  # rows of other tables each row shows (one query each per page)
    computed: dict = field(default_factory=dict)  # {name: expression} a date parameter may search
    updated: Callable = _latest_version  # model -> the expression of a row's last change

    @property
    def patient_field(self):
        return f"{self.patient_path}_id" if self.patient_path else "pk"

    def patient_of(self, row):
        for step in filter(None, self.patient_path.split("__")):
            row = getattr(row, step)
        return row

    def resource_id(self, pk):
        return f"{self.prefix}-{pk}" if self.prefix else str(pk)

    def pk_of(self, resource_id):
        """The row id of ``resource_id`` if it is one of this source's, else None."""
        head, dash, tail = resource_id.rpartition("-")
        if (head if dash else "") != self.prefix or not tail.isdigit() or len(tail) > 18:
            return None
        return int(tail)

    def rows(self, user):
        return self._shown(self.model.objects.visible_to(user))

    def rows_of(self, patient_id):
        """A patient's rows, whoever asks (the caller has checked that the patient may be shown)."""
        return self._shown(self.model.objects.filter(**{self.patient_field: patient_id}))

    def _shown(self, rows):
        clinic = "__".join(filter(None, (self.patient_path, "clinic")))
        return (rows.filter(self.only).select_related(clinic, *self.related).prefetch_related(*self.prefetch)
                .alias(**self.computed).annotate(last_updated=self.updated(self.model)))

    def get(self, user, pk):
        """The row ``pk`` if ``user`` may see it, else None."""
        return self.rows(user).filter(pk=pk).first()

    def date_q(self, parameter, wanted):
        name, kind = self.dates[parameter]
        if kind == "instant":
            return params.instant_q(name, wanted)
        if kind == "day":
            return params.day_q(name, wanted)
        return params.partial_date_q(f"_{name}_low", f"_{name}_high", wanted) & ~Q(**{name: ""})

    def partial_dates(self, rows):
        """Each partial date's first and last day as text, for ``date_q``."""
        for name, kind in self.dates.values():
            if kind == "partial":
                rows = rows.alias(**{f"_{name}_low": _padded(name, "-01-01", "-01"),
                                     f"_{name}_high": _padded(name, "-12-31", "-31")})
        return rows


def _padded(name, after_year, after_month):
    return Concat(name, Case(When(**{f"{name}__regex": r"^[0-9]{4}$"}, then=Value(after_year)),
                             When(**{f"{name}__regex": r"^[0-9]{4}-[0-9]{2}$"}, then=Value(after_month)),
                             default=Value(""), output_field=CharField()))


@dataclass
class ResourceType:
    name: str
    sources: list
    # Search parameters besides the common ones: {name: (FHIR type, what it searches)}.
    search: dict = field(default_factory=dict)
    profile_note: str = ""

    def source_of(self, resource_id):
        for source in self.sources:
            pk = source.pk_of(resource_id)
            if pk is not None:
                return source, pk
        return None, None


def _no_code(system, code):
    return None


def _condition_code(system, code):
    found = terms.vocabulary_codes_for("condition", system, code)
    return Q(code__in=found) if found else None


def _nrs_code(system, code):
    return Q() if code == terms.instrument("nrs-11")["loinc"] and system in (None, terms.LOINC) else None


def _session_updated(_model, path=""):
    """A session's last change: its signing, else its creation (a signed session no longer changes)."""
    return Coalesce(f"{path}signed_at", f"{path}created_at")


def _measurement_code(name):
    def code_q(system, code):
        entry = terms.measurement(name)
        return Q() if code == entry["loinc"] and system in (None, terms.LOINC) else None
    return code_q


COMMON = {
    "_id": ("token", "The resource's id"),
    "_lastUpdated": ("date", "When the resource last changed (its latest version)"),
}
CLINICAL = {**COMMON, "patient": ("reference", "The patient (Patient/ID)")}

TYPES = {t.name: t for t in [
    ResourceType("Patient", [Source("", Patient, resources.patient, patient_path="", updated=lambda _m: F("updated_at"),
                                    dates={"birthdate": ("birth_date", "day")})],
                 {**COMMON, "birthdate": ("date", "The birth date"),
                  "identifier": ("token", "The clinic's record number"),
                  "name": ("string", "Words of the family or given name (accents and case aside)")}),
    ResourceType("Condition", [
        Source("c", charts.Complaint, resources.complaint_condition, code=_no_code,
               dates={"recorded-date": ("recorded_at", "instant"), "onset-date": ("onset", "partial")}),
        Source("k", charts.Condition, resources.chart_condition, code=_condition_code,
               dates={"recorded-date": ("recorded_at", "instant")}),
    ], {**CLINICAL, "code": ("token", "SNOMED CT or ICD-10 code (system|code or code)"),
        "recorded-date": ("date", "When it was recorded"),
        "onset-date": ("date", "When it began (complaints)")},
        "Complaints (ids c-N) and recorded conditions (ids k-N)"),
    ResourceType("AllergyIntolerance", [
        Source("a", charts.Allergy, resources.allergy, code=_no_code, dates={"date": ("recorded_at", "instant")}),
    ], {**CLINICAL, "date": ("date", "When it was recorded")}),
    ResourceType("MedicationStatement", [
        Source("m", charts.Medication, resources.medication, code=_no_code),
    ], CLINICAL),
    ResourceType("Observation", [
        Source("w", charts.WeightMeasurement, resources.body_weight, code=_measurement_code("body_weight"),
               dates={"date": ("date", "day")}),
        Source("h", charts.WeightMeasurement, resources.body_height, code=_measurement_code("body_height"),
               only=Q(height_cm__isnull=False), dates={"date": ("date", "day")}),
        Source("n", ComplaintScore, resources.nrs_before, patient_path="session__patient", code=_nrs_code,
               dates={"date": ("session__started_at", "instant")}, related=("session",),
               updated=lambda model: _session_updated(model, "session__")),
        Source("p", ComplaintScore, resources.nrs_after, patient_path="session__patient", code=_nrs_code,
               only=Q(post_nrs__isnull=False), dates={"date": ("session__started_at", "instant")},
               related=("session",), updated=lambda model: _session_updated(model, "session__")),
    ], {**CLINICAL, "code": ("token", "LOINC code (29463-7 body weight, 8302-2 body height, 72514-3 pain NRS)"),
        "date": ("date", "When it was measured")},
        "Body weight (ids w-N), body height (h-N), a session's pain score before (n-N) and after (p-N) "
        "its injections"),
    ResourceType("Procedure", [
        Source("hi", charts.HistoryItem, resources.history_procedure, code=_no_code,
               dates={"date": ("date", "partial")}),
        Source("i", Injection, resources.injection_procedure, patient_path="session__patient", code=_no_code,
               dates={"date": ("time", "instant")}, related=("session", "history_item")),
    ], {**CLINICAL, "date": ("date", "When it was done (history items: as exactly as known)")},
        "History items such as operations, extractions, scars and fractures (ids hi-N) and every injection "
        "given (ids i-N)"),
    ResourceType("Encounter", [
        Source("e", Session, resources.encounter, dates={"date": ("started_at", "instant")},
               related=("practitioner",), updated=_session_updated),
    ], {**CLINICAL, "date": ("date", "When the session began")}, "Treatment sessions"),
    ResourceType("QuestionnaireResponse", [
        Source("qr", Response, resources.questionnaire_response, related=("entered_by",),
               dates={"authored": ("answered_at", "instant")}, updated=lambda _m: F("answered_at")),
    ], {**CLINICAL, "authored": ("date", "When the patient answered"),
        "questionnaire": ("reference", "The questionnaire answered (Questionnaire/ID or its canonical url)")},
        "Outcome questionnaires as answered (in the language the patient read them)"),
    ResourceType("Questionnaire", [QuestionnaireSource()], {
        **COMMON, "url": ("uri", "The questionnaire's canonical url"),
        "name": ("string", "Words of its name or title (any language)"),
        "code": ("token", "A code of the questionnaire (LOINC)")},
        "The outcome instruments the clinic uses (NRS-11, PGIC, PSFS, PHQ-9, GAD-7, with German and Spanish texts "
        "as translation extensions) and those it imported itself (ids ci-N)"),
    ResourceType("Consent", [
        Source("co", charts.Consent, resources.consent, dates={"date": ("date", "day")}),
    ], {**CLINICAL, "date": ("date", "When the patient consented or refused")},
        "Informed consent to neural therapy (or its refusal), with its withdrawal"),
    ResourceType("AdverseEvent", [
        Source("ae", AdverseEvent, resources.adverse_event, patient_path="session__patient",
               dates={"date": ("_date", "instant")}, related=("session",),
               computed={"_date": Coalesce("occurred_at", "session__started_at")},
               updated=lambda model: _session_updated(model, "session__")),
    ], {**CLINICAL, "date": ("date", "When it occurred (else the session's start)")},
        "Adverse events in treatment sessions, naming the injection they followed"),
    ResourceType("CarePlan", [
        Source("cp", TreatmentPlan, resources.care_plan, dates={"date": ("created_at", "instant")},
               related=("created_by",), prefetch=("sessions",)),
    ], {**CLINICAL, "date": ("date", "When the plan was made (its period's start)")},
        "Treatment plans, their sessions as activities (each an Encounter)"),
]}
