"""Import from another system's FHIR R4 records: Bundles (transaction, batch, collection,
searchset), single resources and NDJSON files, for one patient or many.

- Patients are matched by what an earlier import remembered of them (the same resource, or
  one of their identifiers), then by family name, given name and birth date. A patient whom
  the names match with another birth date, or several patients match, is held "needing a
  decision" (``PendingPatient``) with everything of theirs: nothing is guessed.
- Allergies, medications, conditions and body weights (with height) enter the chart at once;
  medications and allergy substances are classed through the knowledge base's code map
  (``medication_codes.yaml``: RxNorm, ATC), else by the bleeding agents' names, else as
  ``unknown``, which the safety check names until someone classes it.
- Every past operation, extraction, fracture, tonsillectomy, sinus surgery, chronic infection
  or injury that the code map ``field_codes.yaml`` (SNOMED CT, ICD-10) knows becomes a
  PROPOSED history item (``FieldProposal``): the practitioner accepts or rejects each one in
  the chart (``decide``). Segmenta's own export (a Procedure whose category is a history
  kind's name) is proposed the same way.
- Every resource taken is remembered by its type and id (``ImportedResource``): importing the
  same data again adds nothing. A resource that cannot be read is refused with the resource
  and the field named; the others go through. One transaction per patient.
"""

import datetime
import hashlib
import json
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from segmenta import caseformat
from segmenta.audit.trail import record
from segmenta.knowledge import vocabulary
from segmenta.knowledge.base import load
from segmenta.knowledge.service import for_clinic
from segmenta.patients.models import (Allergy, Condition, HistoryItem, Medication, Patient, WeightMeasurement,
                                      fold)
from segmenta.treatment.safety import bleeding_agents

from ..models import FieldProposal, ImportedResource, ImportRun, PatientIdentifier, PendingPatient
from . import terms

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
ICD10_GM = "http://fhir.de/CodeSystem/bfarm/icd-10-gm"
CODE_SYSTEMS = {terms.SNOMED: "snomed", terms.ICD10: "icd10", "http://hl7.org/fhir/sid/icd-10-cm": "icd10",
                ICD10_GM: "icd10", RXNORM: "rxnorm", ATC: "atc"}
WEIGHT_LOINC, HEIGHT_LOINC = "29463-7", "8302-2"
# Units of weight and height as UCUM writes them, to kilograms and centimetres.
TO_KG = {"kg": Decimal(1), "g": Decimal("0.001"), "[lb_av]": Decimal("0.45359237")}
TO_CM = {"cm": Decimal(1), "m": Decimal(100), "mm": Decimal("0.1"), "[in_i]": Decimal("2.54")}
TAKEN = ("Patient", "AllergyIntolerance", "MedicationRequest", "MedicationStatement", "Condition", "Procedure",
         "Observation")
BUNDLE_TYPES = ("transaction", "batch", "collection", "searchset")


class Refused(Exception):
    """A resource that cannot be read: ``field`` names what is wrong."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field
        self.message = message


class Unreadable(ValueError):
    """Input that is no FHIR JSON at all (the command exits 2 on it)."""


# --- Reading the input ------------------------------------------------------------------

def read_document(name, data):
    """The resources in one file or request body: [(label, resource or None, refusal or None)].
    A Bundle gives its entries (labelled by fullUrl), NDJSON one resource per line."""
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    stripped = text.strip()
    if not stripped:
        raise Unreadable(f"{name}: empty")
    try:
        document = json.loads(stripped)
    except json.JSONDecodeError:
        document = None
    if document is not None:
        return read_parsed(name, document)
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            resource = json.loads(line)
        except json.JSONDecodeError as error:
            found.append((f"{name} line {number}", None, Refused("line", f"not JSON ({error.msg})")))
            continue
        found.append((f"{name} line {number}", resource, None))
    if found and all(refusal for _l, _r, refusal in found):
        raise Unreadable(f"{name}: neither a FHIR JSON document nor NDJSON")
    return found


def read_parsed(name, document):
    """The resources of a JSON document already parsed (a request body): as read_document."""
    if isinstance(document, dict) and document.get("resourceType") == "Bundle":
        if document.get("type") not in BUNDLE_TYPES:
            raise Unreadable(f"{name}: Bundle.type {document.get('type')!r}: give a "
                             + ", ".join(BUNDLE_TYPES) + " Bundle")
        found = []
        for index, entry in enumerate(document.get("entry") or []):
            label = f"{name} entry[{index}]"
            if not isinstance(entry, dict) or not isinstance(entry.get("resource"), dict):
                found.append((label, None, Refused(f"entry[{index}].resource", "missing")))
                continue
            resource = entry["resource"]
            if entry.get("fullUrl"):
                resource = {**resource, "_fullUrl": entry["fullUrl"]}
            found.append((label, resource, None))
        return found
    if isinstance(document, dict):
        return [(name, document, None)]
    raise Unreadable(f"{name}: a JSON document that is no FHIR resource")


def _reference_key(reference):
    """"Patient/abc", "https://host/fhir/Patient/abc" and "urn:uuid:…" as one key."""
    reference = (reference or "").strip()
    if reference.startswith("urn:"):
        return reference
    match = re.search(r"([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(/_history/[^/]+)?$", reference)
    return f"{match.group(1)}/{match.group(2)}" if match else reference


def _subject(resource):
    field = "patient" if resource["resourceType"] == "AllergyIntolerance" else "subject"
    reference = (resource.get(field) or {}).get("reference")
    if not reference:
        raise Refused(field, "names no patient (a reference to the Patient is needed)")
    return field, _reference_key(reference)


def group_by_patient(found, outcomes):
    """({patient key: {"patient": resource, "label": …, "resources": [(label, resource)]}},
    refused [{"resource", "field", "error"}], skipped {type: count}); ``outcomes`` gets what
    became of each resource refused or left here ({id(resource): (outcome, …)})."""
    groups, refused, skipped, aliases = {}, [], {}, {}
    for label, resource, refusal in found:
        if refusal:
            refused.append(_refusal(label, refusal))
            continue
        kind = resource.get("resourceType")
        if not isinstance(kind, str) or not kind:
            refused.append(_refusal(label, Refused("resourceType", "missing")))
            outcomes[id(resource)] = ("refused", refused[-1])
            continue
        if kind == "Patient":
            key = f"Patient/{resource['id']}" if resource.get("id") else (resource.get("_fullUrl") or label)
            group = groups.setdefault(key, {"resources": []})
            group.update(patient=resource, label=_name_of(label, resource))
            aliases[key] = key
            if resource.get("_fullUrl"):
                aliases[_reference_key(resource["_fullUrl"])] = key
    for label, resource, refusal in found:
        if refusal or not isinstance(resource.get("resourceType"), str) or resource["resourceType"] == "Patient":
            continue
        kind = resource["resourceType"]
        if kind not in TAKEN:
            skipped[kind] = skipped.get(kind, 0) + 1
            outcomes[id(resource)] = ("not_taken", f"{kind} is not imported")
            continue
        label = _name_of(label, resource)
        try:
            field, reference = _subject(resource)
            if reference not in aliases and reference.startswith("Patient/"):
                # Not in this import: perhaps a patient an earlier import took (run_import looks).
                groups[reference] = {"resources": [], "label": reference, "field": field}
                aliases[reference] = reference
            if reference not in aliases:
                raise Refused(field, f"refers to {reference}, which is not in this import")
        except Refused as error:
            refused.append(_refusal(label, error))
            outcomes[id(resource)] = ("refused", refused[-1])
            continue
        groups[aliases[reference]]["resources"].append((label, resource))
    return groups, refused, skipped


def _name_of(label, resource):
    if resource.get("id"):
        return f"{resource['resourceType']}/{resource['id']}"
    return f"{resource.get('resourceType', 'resource')} ({label})"


def _refusal(label, error):
    return {"resource": label, "field": error.field, "error": error.message}


# --- Small readers ----------------------------------------------------------------------

def _codings(concept):
    return [c for c in (concept or {}).get("coding") or [] if isinstance(c, dict)]


def _concept_text(concept):
    concept = concept or {}
    if concept.get("text"):
        return str(concept["text"]).strip()
    return next((str(c["display"]).strip() for c in _codings(concept) if c.get("display")), "")


def _status_code(concept):
    return next((c.get("code") for c in _codings(concept) if c.get("code")), None)


def _partial_date(value, field):
    """An ISO date or date-time as the chart's partial date (its local day)."""
    if value in (None, ""):
        return ""
    text = str(value)[:10]
    if not caseformat.is_partial_date(text):
        raise Refused(field, f"{value!r} is no date")
    return text


def _first_date(resource, *fields):
    for field in fields:
        value = resource.get(field)
        if isinstance(value, dict):
            value, field = value.get("start"), f"{field}.start"
        if value:
            return _partial_date(value, field)
    return ""


def _digest(resource):
    clean = {k: v for k, v in resource.items() if k != "_fullUrl"}
    return hashlib.sha256(json.dumps(clean, sort_keys=True, ensure_ascii=True).encode()).hexdigest()


def _source_key(resource, patient_identity):
    """The resource's type and id, tied to its patient (two other systems may both have an
    "AllergyIntolerance/1"); without an id, a hash of its content."""
    own = f"{resource['resourceType']}/{resource['id']}" if resource.get("id") else \
        f"{resource['resourceType']}#{_digest(resource)[:32]}"
    return f"{own}@{patient_identity}"[:300]


# --- Code maps (the knowledge base) -------------------------------------------------------

class CodeMaps:
    """The clinic's knowledge base's field and substance codes, looked up by system and code."""

    def __init__(self, kb):
        self.kb = kb
        self.fields = {(e["system"], e["code"]): e for e in kb.all("field-code")}
        self.substances = {(e["system"], e["code"]): e for e in kb.all("substance-code")}

    @staticmethod
    def _lookup(table, system, code, prefixed):
        entry = table.get((system, code))
        if entry is None and prefixed:
            # ICD-10 "S52.51" → "S52.5" → "S52"; ATC "B01AF02" → "B01AF" → "B01A" …
            for cut in range(len(code) - 1, 2, -1):
                entry = table.get((system, code[:cut].rstrip(".")))
                if entry is not None:
                    break
        return entry

    def field(self, concept):
        for coding in _codings(concept):
            system = CODE_SYSTEMS.get(coding.get("system"))
            if system in ("snomed", "icd10") and coding.get("code"):
                entry = self._lookup(self.fields, system, str(coding["code"]).strip(), system == "icd10")
                if entry:
                    return entry, coding
        return None, None

    def substance(self, concept):
        for coding in _codings(concept):
            system = CODE_SYSTEMS.get(coding.get("system"))
            if system in ("rxnorm", "atc") and coding.get("code"):
                entry = self._lookup(self.substances, system, str(coding["code"]).strip(), system == "atc")
                if entry:
                    return entry
        return None


def _label_in_notes(resource, kind):
    """A class Segmenta's own export writes as a note (its English label), else None."""
    labels = {vocabulary.label(kind, code).lower(): code for code in vocabulary.codes(kind)}
    for note in resource.get("note") or []:
        found = labels.get(str((note or {}).get("text", "")).strip().lower())
        if found:
            return found
    return None


def _codes_in_notes(resource, kind):
    """Codes Segmenta's own export lists in a note by their English labels ("Gallbladder, Liver")."""
    labels = {vocabulary.label(kind, code).lower(): code for code in vocabulary.codes(kind)}
    for note in resource.get("note") or []:
        parts = [part.strip().lower() for part in str((note or {}).get("text", "")).split(",")]
        if parts and all(part in labels for part in parts):
            return [labels[part] for part in parts]
    return []


def _regions_of(resource):
    """Body sites written as Segmenta writes them ("Shoulder (right)"), as case-format regions;
    and a tooth ("Tooth 38 (FDI)", or FHIR's FDI tooth code)."""
    names = {vocabulary.label("region", code).lower(): code for code in vocabulary.codes("region")}
    sides = {vocabulary.label("side", code).lower(): code for code in vocabulary.codes("side")}
    choir = {entry["name"].lower(): entry["id"] for entry in load().all("choir-segment")}
    regions, tooth = [], ""
    for site in resource.get("bodySite") or []:
        for coding in _codings(site):
            if coding.get("system") == terms.FDI_TOOTH and str(coding.get("code")) in vocabulary.codes("tooth"):
                tooth = str(coding["code"])
        text = _concept_text(site)
        found = re.fullmatch(r"tooth (\d{2})(?: \(fdi\))?", text.lower())
        if found and found.group(1) in vocabulary.codes("tooth"):
            tooth = found.group(1)
            continue
        if text.lower() in choir:  # a body-map segment, by the name Segmenta's export gives it
            regions.append({"choir": choir[text.lower()]})
            continue
        found = re.fullmatch(r"(.+?)(?: \((.+)\))?", text.lower())
        if found and found.group(1) in names:
            region = {"region": names[found.group(1)]}
            if found.group(2) in sides:
                region["side"] = sides[found.group(2)]
            regions.append(region)
    return regions, tooth


# --- Matching patients --------------------------------------------------------------------

def _patient_fields(resource):
    """(family, given, birth date, sex) of a Patient resource; Refused naming the field."""
    names = [n for n in resource.get("name") or [] if isinstance(n, dict)]
    name = next((n for n in names if n.get("use") in (None, "official", "usual")), names[0] if names else None)
    if not name or not str(name.get("family") or "").strip():
        raise Refused("name.family", "missing")
    given = " ".join(str(g).strip() for g in name.get("given") or [] if str(g).strip())
    if not given:
        raise Refused("name.given", "missing")
    try:
        birth = datetime.date.fromisoformat(str(resource.get("birthDate") or ""))
    except ValueError:
        raise Refused("birthDate", f"{resource.get('birthDate')!r} is no full date (YYYY-MM-DD)") from None
    sex = resource.get("gender") or "unknown"
    if sex not in vocabulary.codes("sex"):
        raise Refused("gender", f"{sex!r} is none of male, female, other, unknown")
    return str(name["family"]).strip()[:100], given[:100], birth, sex


def _identity(resource):
    """What ties a source patient's resources together across imports."""
    try:
        family, given, birth, _sex = _patient_fields(resource)
    except Refused:
        return hashlib.sha256(json.dumps(resource.get("id")).encode()).hexdigest()[:12]
    return hashlib.sha256(f"{resource.get('id')}|{fold(family)}|{fold(given)}|{birth}".encode()).hexdigest()[:12]


def _identifiers(resource):
    found = []
    for identifier in resource.get("identifier") or []:
        if isinstance(identifier, dict) and identifier.get("value"):
            found.append((str(identifier.get("system") or "")[:300], str(identifier["value"])[:300]))
    return found


def match(clinic, resource):
    """(patient or None, how, candidates): how is "earlier_import", "identifier",
    "name_birth_date", "new" or "needs_decision" (then ``candidates`` lists who it may be)."""
    family, given, birth, _sex = _patient_fields(resource)
    key = f"Patient/{resource.get('id')}@{_identity(resource)}"
    earlier = ImportedResource.objects.filter(clinic=clinic, key=key, patient__isnull=False).select_related(
        "patient").first()
    if earlier:
        return earlier.patient, "earlier_import", []
    by_identifier = {link.patient for system, value in _identifiers(resource)
                     for link in PatientIdentifier.objects.filter(clinic=clinic, system=system, value=value)
                     .select_related("patient")}
    if len(by_identifier) == 1:
        return by_identifier.pop(), "identifier", []
    if len(by_identifier) > 1:
        return None, "needs_decision", sorted(by_identifier, key=lambda p: p.pk)
    same_name = list(Patient.objects.filter(clinic=clinic, name_key=f"{fold(family)} {fold(given)}"))
    born = [p for p in same_name if p.birth_date == birth]
    if len(born) == 1:
        return born[0], "name_birth_date", []
    if same_name:
        return None, "needs_decision", same_name
    return None, "new", []


# --- One patient ----------------------------------------------------------------------------

class PatientImport:
    """Everything of one source patient, taken in one transaction."""

    def __init__(self, clinic, run, user, maps, patient_resource, resources, outcomes=None, identity=None):
        self.clinic, self.run, self.user, self.maps = clinic, run, user, maps
        self.outcomes = {} if outcomes is None else outcomes  # {id(resource): (outcome, …)}
        self.source = patient_resource
        self.resources = resources
        self.identity = identity or _identity(patient_resource)
        self.counts = {"allergies": 0, "medications": 0, "conditions": 0, "weights": 0}
        self.proposals = []
        self.refused = []
        self.already = 0  # taken by an earlier import
        self.in_chart = 0  # the same allergy, medication, condition or weight was there
        self.skipped = {}
        self.patient = None

    def _taken_before(self):
        """The keys of this patient's resources here that an earlier import took: looked up by
        exact key (the clinic-and-key unique index), never by scanning the clinic's keys."""
        keys = [_source_key(r, self.identity) for r in [self.source, *(r for _l, r in self.resources)]]
        seen = set()
        for start in range(0, len(keys), 500):
            seen.update(ImportedResource.objects.filter(clinic=self.clinic, key__in=keys[start:start + 500])
                        .values_list("key", flat=True))
        return seen

    def _remember(self, resource, target):
        key = _source_key(resource, self.identity)
        self.outcomes[id(resource)] = ("taken", target)
        self.seen.add(key)
        self.remembered[key] = ImportedResource(clinic=self.clinic, key=key, digest=_digest(resource),
                                                patient=self.patient, target=target, run=self.run)

    def _seen(self, resource):
        return _source_key(resource, self.identity) in self.seen

    def _skip(self, why):
        self.skipped[why] = self.skipped.get(why, 0) + 1

    def take(self, patient=None, how="decided", new=False):
        """Into ``patient`` (a decision's answer, or the patient of an earlier import), a new
        patient (``new``: the caller's ``match`` found none), or whoever ``match`` finds;
        returns the patient's report line."""
        with transaction.atomic():
            if patient is None and not new:
                patient, how, _candidates = match(self.clinic, self.source)
            if patient is None:
                patient = self._create_patient()
                how = "new"
            self.patient = patient
            # A chart made just now holds nothing yet: no need to ask it for each resource.
            self.empty_chart = how == "new"
            self.seen = self._taken_before()
            self.remembered = {}
            self.chart = {}
            if not self._seen(self.source):
                self._remember(self.source, f"patient:{patient.pk}")
            self.outcomes[id(self.source)] = ("taken" if how == "new" else "in_chart", f"patient:{patient.pk}")
            for system, value in _identifiers(self.source):
                PatientIdentifier.objects.get_or_create(clinic=self.clinic, system=system, value=value,
                                                        defaults={"patient": patient})
            weights = []
            for label, resource in self.resources:
                if self._seen(resource):
                    self.already += 1
                    self.outcomes[id(resource)] = ("already_imported", None)
                    continue
                try:
                    with transaction.atomic():
                        if resource["resourceType"] == "Observation":
                            weights.append(self._observation(resource))
                        else:
                            getattr(self, "_" + resource["resourceType"])(resource)
                except Refused as error:
                    self.refused.append(_refusal(label, error))
                    self.outcomes[id(resource)] = ("refused", self.refused[-1])
            self._weights([w for w in weights if w])
            self._merge_proposals()
            ImportedResource.objects.bulk_create(self.remembered.values())
            record("create", user=self.user, username=_who(self.user), patient=patient, object_type="fhir_import",
                   object_id=str(self.run.pk), detail={"match": how, "imported": self.counts,
                                                       "proposed": len(self.proposals),
                                                       "refused": len(self.refused), "via": self.run.via})
        return {"patient": patient.pk, "name": patient.display_name, "match": how, "imported": self.counts,
                "already_imported": self.already, "already_in_chart": self.in_chart,
                "proposed": [_proposal_line(p) for p in self.proposals], "refused": self.refused,
                "not_taken": self.skipped}

    def _create_patient(self):
        family, given, birth, sex = _patient_fields(self.source)
        patient = Patient(clinic=self.clinic, family_name=family, given_name=given, birth_date=birth, sex=sex,
                          created_by=self.user)
        _clean(patient, "Patient", fields=PATIENT_FIELDS)
        patient.save()
        record("create", user=self.user, username=_who(self.user), patient=patient, obj=patient,
               detail={"via": f"fhir import {self.run.via}"})
        return patient

    def _existing(self, model, **same):
        """The chart's entry that says the same (case aside), looked up once per import."""
        key = (model, *(str(v).lower() for v in same.values()))
        if key not in self.chart and self.empty_chart:
            return None
        if key not in self.chart:
            self.chart[key] = model.objects.filter(patient=self.patient, entered_in_error_at__isnull=True,
                                                   **same).first()
        return self.chart[key]

    def _save(self, row, resource, kind, **same):
        row.recorded_by = self.user
        _clean(row, resource["resourceType"])
        row.save()
        self.chart[(type(row), *(str(v).lower() for v in same.values()))] = row
        self._remember(resource, f"{row._meta.model_name}:{row.pk}")
        self.counts[kind] += 1

    # Each resource type ------------------------------------------------------------------

    def _AllergyIntolerance(self, resource):
        if _status_code(resource.get("verificationStatus")) in ("entered-in-error", "refuted"):
            return self._not_taken(resource, "entered in error or refuted at the source")
        substance = _concept_text(resource.get("code"))
        if not substance:
            raise Refused("code", "names no substance")
        entry = self.maps.substance(resource.get("code"))
        allergy_class = ((entry or {}).get("allergy_class") or _label_in_notes(resource, "allergy_class") or "other")
        active = _status_code(resource.get("clinicalStatus")) in (None, "active")
        existing = self._existing(Allergy, substance__iexact=substance[:200])
        if existing:
            return self._link(resource, existing)
        reaction = next((_concept_text(m) for r in resource.get("reaction") or []
                         for m in (r or {}).get("manifestation") or [] if _concept_text(m)), "")
        self._save(Allergy(patient=self.patient, substance=substance[:200], allergy_class=allergy_class,
                           reaction=reaction[:200], active=active), resource, "allergies",
                   substance__iexact=substance[:200])

    def _MedicationRequest(self, resource):
        self._medication(resource, active_statuses=("active", "on-hold", "draft"))

    def _MedicationStatement(self, resource):
        self._medication(resource, active_statuses=("active", "intended"))

    def _medication(self, resource, active_statuses):
        status = resource.get("status")
        if status == "entered-in-error":
            return self._not_taken(resource, "entered in error at the source")
        concept = resource.get("medicationCodeableConcept")
        if concept is None and resource.get("medicationReference"):
            raise Refused("medicationReference", "a separate Medication resource is not read: "
                                                 "give medicationCodeableConcept")
        name = _concept_text(concept)
        if not name:
            raise Refused("medicationCodeableConcept", "names no medication")
        entry = self.maps.substance(concept)
        medication_class = (entry or {}).get("medication_class") or _label_in_notes(resource, "medication_class")
        if not medication_class:
            agents = bleeding_agents([{"name": name, "class": "other"}], self.maps.kb)
            medication_class = agents[0][1]["code"] if len({a["code"] for _m, a in agents}) == 1 else "unknown"
        active = status in active_statuses
        existing = self._existing(Medication, name__iexact=name[:200])
        if existing:
            return self._link(resource, existing, active)
        dosage = (resource.get("dosage") or resource.get("dosageInstruction") or [{}])[0] or {}
        self._save(Medication(patient=self.patient, name=name[:200], medication_class=medication_class,
                              dose=str(dosage.get("text") or "")[:100], active=active), resource, "medications",
                   name__iexact=name[:200])

    def _Condition(self, resource):
        if _status_code(resource.get("verificationStatus")) in ("entered-in-error", "refuted"):
            return self._not_taken(resource, "entered in error or refuted at the source")
        date, proposed = self._field_or_date(resource, "onsetDateTime", "onsetPeriod", "recordedDate")
        if proposed:
            return
        text = _concept_text(resource.get("code"))
        codes = [c for coding in _codings(resource.get("code")) if coding.get("code")
                 for c in terms.vocabulary_codes_for("condition", coding.get("system"), str(coding["code"]))]
        code = codes[0] if codes else ""
        active = _status_code(resource.get("clinicalStatus")) in (None, "active", "recurrence", "relapse")
        label = vocabulary.label("condition", code).lower() if code else None
        if label and text.lower() == label:
            text = ""
        elif label and text.lower().startswith(f"{label}: "):  # as Segmenta's export writes it
            text = text[len(label) + 2:]
        existing = self._existing(Condition, code=code, text__iexact=text[:200])
        if existing:
            return self._link(resource, existing, active)
        self._save(Condition(patient=self.patient, code=code, text=text[:200], active=active), resource, "conditions",
                   code=code, text__iexact=text[:200])

    def _Procedure(self, resource):
        if resource.get("status") in ("entered-in-error", "not-done", "preparation", "stopped"):
            return self._not_taken(resource, "not done, stopped or entered in error at the source")
        date, proposed = self._field_or_date(resource, "performedDateTime", "performedPeriod", "performedString")
        if proposed:
            return
        kind = _kind_in_category(resource)
        if kind:  # Segmenta's own export: the category is the history kind's name
            own = {"id": None, "kind": kind, "regions": [], "organs": _codes_in_notes(resource, "organ"),
                   "name": _concept_text(resource.get("code"))}
            return self._propose(resource, own, None, date)
        return self._not_taken(resource, "no candidate field in the code map")

    def _field_or_date(self, resource, *date_fields):
        """(its date, whether it was proposed as a candidate field by the code map)."""
        if not _codings(resource.get("code")) and not _concept_text(resource.get("code")):
            raise Refused("code", "missing")
        date = _first_date(resource, *date_fields)
        entry, coding = self.maps.field(resource.get("code"))
        if entry:
            self._propose(resource, entry, coding, date)
        return date, bool(entry)

    def _not_taken(self, resource, why):
        self._skip(f"{resource['resourceType']}: {why}")
        self._remember(resource, "not taken")

    def _link(self, resource, existing, active=False):
        """Already in the chart (the same substance, medication or condition): remembered only,
        and made active again if the other system says it is."""
        if active and not existing.active:
            existing.active = True
            existing.save(update_fields=["active"])
        self.in_chart += 1
        self._remember(resource, f"{existing._meta.model_name}:{existing.pk}")
        self.outcomes[id(resource)] = ("in_chart", f"{existing._meta.model_name}:{existing.pk}")

    def _propose(self, resource, entry, coding, date):
        regions, tooth = _regions_of(resource)
        if not regions:
            regions = [{"region": r} for r in entry.get("regions", [])]
        kind = entry["kind"]
        description = _concept_text(resource.get("code")) or entry["name"]
        description = re.sub(r" \((procedure|disorder|finding|situation|morphologic abnormality)\)$", "", description)
        proposal = FieldProposal(patient=self.patient, run=self.run, kind=kind, tooth=tooth if kind == "tooth" else "",
                                 date=date, regions=regions, organs=list(entry.get("organs", [])),
                                 description=description[:300], origin=[{
                                     "resource": resource["resourceType"] + "/" + str(resource.get("id", "")),
                                     "system": (coding or {}).get("system", ""), "code": (coding or {}).get("code", ""),
                                     "display": (coding or {}).get("display", ""), "map": entry.get("id") or ""}])
        _clean(proposal, resource["resourceType"])
        proposal.save()
        self._remember(resource, f"proposal:{proposal.pk}")
        self.proposals.append(proposal)

    def _merge_proposals(self):
        """One proposal per kind and day: a laceration and its suture on one day are one scar."""
        kept = {}
        for proposal in list(self.proposals):
            # Only what the code map proposed: the items of Segmenta's own export stay apart.
            key = (proposal.kind, proposal.date, proposal.tooth) if proposal.date and proposal.origin[0]["map"] else None
            first = kept.get(key) if key else None
            if first is None:
                if key:
                    kept[key] = proposal
                continue
            for region in proposal.regions:
                if region not in first.regions:
                    first.regions.append(region)
            first.organs = sorted(set(first.organs) | set(proposal.organs))
            if proposal.description.lower() not in first.description.lower():
                first.description = f"{first.description}; {proposal.description}"[:300]
            first.origin += proposal.origin
            first.save()
            for row in self.remembered.values():
                if row.target == f"proposal:{proposal.pk}":
                    row.target = f"proposal:{first.pk}"
            proposal.delete()
            self.proposals.remove(proposal)

    def _observation(self, resource):
        """(date, kg or None, cm or None, resource) of a body weight or height, else None."""
        if resource.get("status") in ("entered-in-error", "cancelled", "preliminary"):
            self._not_taken(resource, "not final at the source")
            return None
        loinc = {str(c.get("code")) for c in _codings(resource.get("code")) if c.get("system") == terms.LOINC}
        if not loinc & {WEIGHT_LOINC, HEIGHT_LOINC}:
            self._not_taken(resource, "no body weight or height")
            return None
        quantity = resource.get("valueQuantity")
        if not isinstance(quantity, dict) or quantity.get("value") is None:
            raise Refused("valueQuantity", "missing")
        table, unit_field = (TO_KG, "kg") if WEIGHT_LOINC in loinc else (TO_CM, "cm")
        unit = quantity.get("code") or quantity.get("unit")
        if unit not in table:
            raise Refused("valueQuantity.code", f"{unit!r}: give the {unit_field} as one of " + ", ".join(table))
        try:
            value = (Decimal(str(quantity["value"])) * table[unit]).quantize(Decimal("0.1"))
        except InvalidOperation:
            raise Refused("valueQuantity.value", f"{quantity['value']!r} is no number") from None
        date = _first_date(resource, "effectiveDateTime", "effectivePeriod", "issued")
        if len(date) != 10:
            raise Refused("effectiveDateTime", "a body weight needs the day it was measured")
        return (date, value if unit_field == "kg" else None, value if unit_field == "cm" else None, resource)

    def _weights(self, found):
        """A weight per day, with a height of the same day; a height alone is not kept."""
        by_day = {}
        for date, kg, cm, resource in found:
            day = by_day.setdefault(date, {"kg": None, "cm": None, "resources": []})
            day["kg"] = kg if kg is not None else day["kg"]
            day["cm"] = cm if cm is not None else day["cm"]
            day["resources"].append(resource)
        for date, day in sorted(by_day.items()):
            if day["kg"] is None:
                for resource in day["resources"]:
                    self._not_taken(resource, "a height without a weight of the same day")
                continue
            existing = None if self.empty_chart else WeightMeasurement.objects.filter(
                patient=self.patient, date=date, entered_in_error_at__isnull=True).first()
            if existing:
                for resource in day["resources"]:
                    self._link(resource, existing)
                continue
            row = WeightMeasurement(patient=self.patient, date=datetime.date.fromisoformat(date), weight_kg=day["kg"],
                                    height_cm=day["cm"], recorded_by=self.user)
            try:
                _clean(row, "Observation")
            except Refused as error:
                for resource in day["resources"]:
                    self.refused.append(_refusal(_name_of("", resource), error))
                    self.outcomes[id(resource)] = ("refused", self.refused[-1])
                continue
            row.save()
            for resource in day["resources"]:
                self._remember(resource, f"weightmeasurement:{row.pk}")
            self.counts["weights"] += 1


def _who(user):
    """The audit trail's name for who imports: the user, or the command line."""
    return user.get_username() if user else "cli: segmenta fhir import"


def _kind_in_category(resource):
    category = resource.get("category")
    text = _concept_text(category).lower() if isinstance(category, dict) else ""
    for code in vocabulary.codes("history_kind"):
        if text and text == vocabulary.label("history_kind", code).lower():
            return code
    return None


# The FHIR field a Patient's model field comes from, for a refusal that names what to fix.
PATIENT_FIELDS = {"family_name": "name.family", "given_name": "name.given", "birth_date": "birthDate",
                  "sex": "gender"}


def _clean(row, resource_type, exclude=(), fields=None):
    """The model's own checks; a problem is a refusal naming the field (as ``fields`` names
    the resource's, where given)."""
    try:
        # The rows' patient, clinic, run and user are the import's own, set here: not asked for again per row.
        row.full_clean(exclude=["patient", "clinic", "run", "history_item", "decided_by", "recorded_by", "created_by",
                                *exclude])
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise Refused((fields or {}).get(field, field), "; ".join(str(m) for m in messages)) from None


def _proposal_line(proposal):
    return {"id": proposal.pk, "kind": proposal.kind, "tooth": proposal.tooth, "date": proposal.date,
            "regions": proposal.regions, "organs": proposal.organs, "description": proposal.description,
            "codes": [f"{o['system']}|{o['code']}" for o in proposal.origin if o.get("code")]}


# --- A whole import ----------------------------------------------------------------------------

def run_import(clinic, found, *, user=None, via=ImportRun.Via.CLI, files="", outcomes=None):
    """Import ``found`` (from ``read_document``) into ``clinic``; returns the report:
    ``patients``, ``imported``, ``proposed``, ``refused`` (counts) and ``details``.
    ``outcomes`` (a dict) gets what became of each resource, by ``id(resource)``."""
    outcomes = {} if outcomes is None else outcomes
    run = ImportRun.objects.create(clinic=clinic, by=user, via=via, files=files[:1000])
    maps = CodeMaps(for_clinic(clinic))
    groups, refused, skipped = group_by_patient(found, outcomes)
    lines, pending = [], []
    for reference, group in groups.items():
        if "patient" not in group:
            lines += _into_earlier_patient(clinic, run, user, maps, reference, group, refused, outcomes)
            continue
        try:
            patient, how, candidates = match(clinic, group["patient"])
            _refuse_if_restricted(patient)
        except Refused as error:
            _refuse_group(group, error, refused, outcomes)
            continue
        if how == "needs_decision":
            pending.append(_hold(clinic, run, group, candidates))
            for resource in [group["patient"], *(r for _l, r in group["resources"])]:
                outcomes[id(resource)] = ("held", pending[-1])
            continue
        try:
            lines.append(PatientImport(clinic, run, user, maps, group["patient"], group["resources"], outcomes)
                         .take(patient, how, new=patient is None))
        except Refused as error:  # the chart's own checks refused the patient (a birth date ahead, say)
            _refuse_group(group, error, refused, outcomes)
    report = {
        "patients": len(lines) + len(pending),
        "imported": sum(sum(line["imported"].values()) for line in lines),
        "proposed": sum(len(line["proposed"]) for line in lines),
        "refused": len(refused) + sum(len(line["refused"]) for line in lines),
        "details": {"run": run.pk, "patients": lines, "needs_decision": pending, "refused": refused,
                    "not_taken": skipped},
    }
    run.report = report
    run.save(update_fields=["report"])
    return report


def _refuse_group(group, error, refused, outcomes):
    """The patient refused (naming the field) with every resource of theirs; nothing of theirs
    was written (one transaction per patient), and the other patients go on."""
    refused.append(_refusal(group["label"], error))
    outcomes[id(group["patient"])] = ("refused", refused[-1])
    for label, resource in group["resources"]:
        refused.append(_refusal(label, Refused("subject", f"its patient {group['label']} was refused")))
        outcomes[id(resource)] = ("refused", refused[-1])


def _into_earlier_patient(clinic, run, user, maps, reference, group, refused, outcomes):
    """Resources whose Patient is not in this import, for the patient an earlier import took
    under that reference ([the report line]); refused if there is none (or several)."""
    earlier = list(ImportedResource.objects.filter(clinic=clinic, key__startswith=f"{reference}@",
                                                   patient__isnull=False).select_related("patient")[:2])
    problem = None if len(earlier) == 1 else Refused(
        group["field"], f"refers to {reference}, which is neither in this import nor taken by an earlier one")
    if problem is None:
        try:
            _refuse_if_restricted(earlier[0].patient)
        except Refused as error:
            problem = Refused(group["field"], error.message)
    if problem:
        for label, resource in group["resources"]:
            refused.append(_refusal(label, problem))
            outcomes[id(resource)] = ("refused", refused[-1])
        return []
    source = {"resourceType": "Patient", "id": reference.split("/", 1)[1]}
    identity = earlier[0].key.rsplit("@", 1)[1]
    taker = PatientImport(clinic, run, user, maps, source, group["resources"], outcomes, identity=identity)
    return [taker.take(patient=earlier[0].patient, how="earlier_import")]


def _refuse_if_restricted(patient):
    """A chart whose processing is restricted (GDPR Art. 18) takes nothing from an import: its
    models would refuse every row anyway, but as a refusal in the report, not a failed import."""
    if patient is not None and patient.restricted:
        raise Refused("patient", "processing of this patient's data is restricted (GDPR Art. 18): nothing is "
                                 "taken into the chart")


def _hold(clinic, run, group, candidates):
    """The patient and their records, held until someone decides who it is (held once: the
    same patient imported again while undecided is the same decision)."""
    resource = group["patient"]
    family, given, birth, _sex = _patient_fields(resource)
    reason = ("several patients match" if any(p.birth_date == birth for p in candidates)
              else "the same name with another birth date")
    key = _source_key(resource, _identity(resource))
    held = PendingPatient.objects.filter(clinic=clinic, key=key, decided_at__isnull=True).first()
    if held is None:
        with transaction.atomic():
            held = PendingPatient.objects.create(
                clinic=clinic, run=run, key=key, name=f"{given} {family}"[:210], birth_date=birth.isoformat(),
                reason=reason, resources=[resource] + [r for _l, r in group["resources"]])
            held.candidates.set(candidates)
    return {"pending": held.pk, "name": held.name, "birth_date": held.birth_date, "reason": reason,
            "candidates": [p.pk for p in candidates], "resources": len(group["resources"])}


class AlreadyDecided(ValueError):
    """A held patient or a proposal someone has decided meanwhile (a second tab, a double
    submit): nothing more is done."""


def decide(pending, user, patient=None):
    """Take a held patient's records into ``patient`` (one of the clinic's), or into a new
    patient when None; returns the patient's report line. The held row is locked and read
    again first, so two decisions at once take the records once (AlreadyDecided for the other)."""
    maps = CodeMaps(for_clinic(pending.clinic))
    with transaction.atomic():
        pending = PendingPatient.objects.select_for_update().get(pk=pending.pk, clinic_id=pending.clinic_id)
        if pending.decided_at:
            raise AlreadyDecided("already decided")
        run = pending.run or ImportRun.objects.create(clinic=pending.clinic, by=user, via=ImportRun.Via.UPLOAD)
        source, *rest = pending.resources
        resources = [(_name_of("", r), r) for r in rest]
        taker = PatientImport(pending.clinic, run, user, maps, source, resources)
        target = patient or taker._create_patient()
        line = taker.take(patient=target)
        pending.decided_at, pending.decided_by, pending.patient = timezone.now(), user, target
        pending.save(update_fields=["decided_at", "decided_by", "patient"])
    return line


def _open_proposal(proposal):
    """The proposal locked and read again; AlreadyDecided when it is no longer open."""
    locked = FieldProposal.objects.select_for_update().get(pk=proposal.pk, clinic_id=proposal.clinic_id)
    if locked.status != FieldProposal.Status.PROPOSED:
        raise AlreadyDecided("already decided")
    return locked


def accept(proposal, user, **changes):
    """The proposal becomes a history item of the chart (audited), with the practitioner's
    changes (``tooth``, ``date``, ``regions``, ``description``…); once, however often it is sent."""
    with transaction.atomic():
        proposal = _open_proposal(proposal)
        item = HistoryItem(patient=proposal.patient, kind=proposal.kind, tooth=proposal.tooth, date=proposal.date,
                           regions=proposal.regions, organs=proposal.organs, description=proposal.description,
                           recorded_by=user)
        for name, value in changes.items():
            setattr(item, name, value)
        item.full_clean(exclude=["patient", "clinic"])
        item.save()
        proposal.status, proposal.decided_at, proposal.decided_by = FieldProposal.Status.ACCEPTED, timezone.now(), user
        proposal.history_item = item
        proposal.save(update_fields=["status", "decided_at", "decided_by", "history_item"])
        record("create", user=user, patient=proposal.patient, obj=item,
               detail={"from_import_proposal": proposal.pk, "origin": proposal.origin})
    return item


def reject(proposal, user):
    with transaction.atomic():
        proposal = _open_proposal(proposal)
        proposal.status, proposal.decided_at, proposal.decided_by = FieldProposal.Status.REJECTED, timezone.now(), user
        proposal.save(update_fields=["status", "decided_at", "decided_by"])
        record("update", user=user, patient=proposal.patient, obj=proposal, detail={"rejected": True})
