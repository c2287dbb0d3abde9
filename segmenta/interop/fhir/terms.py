"""The code systems the FHIR API names, and the standard codes it takes from the knowledge
base (segmenta/knowledge/data/codes.yaml): nothing clinical is coded here."""

from functools import lru_cache

from segmenta.knowledge.base import load

SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
BCP47 = "urn:ietf:bcp:47"
# FHIR's code system of FDI tooth numbers (ISO 3950): it holds the permanent teeth only.
FDI_TOOTH = "http://terminology.hl7.org/CodeSystem/ex-tooth"
# FHIR's own code systems (statuses and categories every FHIR server names).
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"

SYSTEMS = {"snomed": SNOMED, "icd10": ICD10, "loinc": LOINC}


@lru_cache(maxsize=1)
def _codes():
    """({(vocabulary, code): entry}, {measurement: entry}, {document or section: entry}) from the
    shipped knowledge base."""
    by_vocabulary, by_measurement, by_part = {}, {}, {}
    for entry in load().all("code"):
        if "vocabulary" in entry:
            by_vocabulary[entry["vocabulary"], entry["code"]] = entry
        elif "measurement" in entry:
            by_measurement[entry["measurement"]] = entry
        else:
            by_part[entry.get("document") or entry["section"]] = entry
    return by_vocabulary, by_measurement, by_part


def summary_part(name):
    """The patient summary's document type or a section of it ("allergies" …): its LOINC entry."""
    return _codes()[2][name]


def codings(entry):
    """An entry's standard codes as FHIR codings, SNOMED CT first."""
    if entry is None:
        return []
    return [{"system": system, "code": entry[key], "display": entry["name"]}
            for key, system in SYSTEMS.items() if key in entry]


def tooth_codings(number):
    """A tooth (FDI number) as codings: its FDI code where FHIR's FDI code system holds it,
    then its SNOMED CT body structure where the knowledge base has a verified one; [] for a
    tooth with neither (it goes out as text)."""
    entry = vocabulary_entry("tooth", number)
    if entry is None:
        return []
    found = [{"system": FDI_TOOTH, "code": entry["fdi"]}] if "fdi" in entry else []
    return found + codings(entry)


def vocabulary_entry(vocabulary, code):
    return _codes()[0].get((vocabulary, code))


def measurement(name):
    """A measurement's entry (LOINC code, UCUM unit); KeyError if the knowledge base lacks it."""
    return _codes()[1][name]


def vocabulary_codes_for(vocabulary, system, code):
    """The vocabulary's codes whose standard code is ``code`` (in ``system``, or any when None)."""
    keys = [key for key, url in SYSTEMS.items() if system is None or url == system]
    return [entry["code"] for (vocab, _c), entry in _codes()[0].items()
            if vocab == vocabulary and any(entry.get(key) == code for key in keys)]


def matches(entry, system, code):
    """Whether ``entry`` carries ``code`` (in ``system``, or in any system when None)."""
    return any(entry.get(key) == code for key, url in SYSTEMS.items() if system is None or url == system)


@lru_cache(maxsize=None)
def instrument(instrument_id):
    """An outcome instrument's entry (name, LOINC code) from the knowledge base."""
    return load().get("instrument-threshold", instrument_id)


@lru_cache(maxsize=None)
def body_map_segment(number):
    """A body-map (CHOIR) segment's name, e.g. "Top of head (front), right"."""
    entry = load().get("choir-segment", number)
    return entry["name"] if entry else f"CHOIR {number}"
