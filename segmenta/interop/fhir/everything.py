"""Everything about one patient, and the patient summary.

``everything(patient)`` is a plain function (a Bundle of type searchset with the Patient and
every resource of the patient compartment the API serves: conditions, allergies, medications,
observations, procedures, encounters, questionnaire answers, consents, adverse events, care
plans), for ``GET /fhir/r4/Patient/ID/$everything`` and for the patient's copy of their
record. ``summary(patient)`` is a patient summary aligned with the International Patient
Summary: a Bundle of type document whose first entry is a Composition with the sections
allergies, medications, problems, history of procedures and vital signs (LOINC section codes
from the knowledge base), each with its narrative and its entries, followed by the Patient and
those entries. What was entered in error stays out of the summary (it stays in everything).

Neither checks who may see the patient: the caller has (the views through
``Patient.objects.visible_to``). ``base`` (the server's /fhir/r4 URL) gives each entry its
fullUrl; without it a searchset has none and the summary's entries are ``urn:uuid:`` URLs
that the Composition's references name."""

import uuid
from html import escape

from django.utils import timezone

from . import resources, search, terms
from .types import TYPES

# The types of the patient compartment, in the order a Bundle lists them (the Patient first).
SUMMARY_TYPES = ("Patient", "Condition", "AllergyIntolerance", "MedicationStatement", "Observation", "Procedure")


def compartment(patient, types=None, since=None):
    """[(source, rows)] of every table source holding the patient's resources, in type order;
    only of ``types`` (names) when given, only changed after ``since`` (an aware datetime) when given."""
    found = []
    for name, resource_type in TYPES.items():
        if types is not None and name not in types:
            continue
        for source in resource_type.sources:
            if not hasattr(source, "rows_of"):  # not a table (the questionnaires): no patient's data
                continue
            rows = source.rows_of(patient.pk)
            if since is not None:
                rows = rows.filter(last_updated__gt=since)
            found.append((source, rows.order_by("pk")))
    return found


def compartment_types():
    """The names of the types ``everything`` holds."""
    return [name for name, resource_type in TYPES.items()
            if any(hasattr(source, "rows_of") for source in resource_type.sources)]


def _type_of(source):
    return next(name for name, resource_type in TYPES.items() if source in resource_type.sources)


def entry(source, row, base):
    resource_id = source.resource_id(row.pk)
    resource = source.to_resource(row, resource_id)
    found = {"resource": resource, "search": {"mode": "match"}}
    if base:
        found = {"fullUrl": f"{base}/{resource['resourceType']}/{resource_id}", **found}
    return found


def everything_page(patient, base=None, count=None, offset=0, types=None, since=None):
    """(total, entries) of one page of everything about ``patient`` (all of it when ``count`` is None)."""
    found = compartment(patient, types, since)
    if count is None:
        rows = [(source, row) for source, queryset in found for row in queryset]
        return len(rows), [entry(source, row, base) for source, row in rows]
    total, rows = search.page(found, count, offset)
    return total, [entry(source, row, base) for source, row in rows]


def everything(patient, base=None):
    """Everything about ``patient`` as one searchset Bundle (see the module's docstring)."""
    total, entries = everything_page(patient, base)
    bundle = {"resourceType": "Bundle", "type": "searchset", "timestamp": timezone.now().isoformat(),
              "total": total}
    if entries:
        bundle["entry"] = entries
    return bundle


# --- The patient summary -------------------------------------------------------------------

def _in_error(resource):
    statuses = [resource.get("status"), *(coding.get("code") for coding in
                                          resource.get("verificationStatus", {}).get("coding", []))]
    return "entered-in-error" in statuses


def _line(resource):
    """One line of a section's narrative: what the resource says, in its own words."""
    kind = resource["resourceType"]
    if kind == "MedicationStatement":
        what = resource["medicationCodeableConcept"].get("text", "")
        dosage = "; ".join(d["text"] for d in resource.get("dosage", []) if d.get("text"))
        return f"{what} ({dosage})" if dosage else what
    what = resource.get("code", {}).get("text", "")
    if kind == "Observation":
        value = resource["valueQuantity"]
        return f"{what}: {resources._plain(value['value'])} {value['unit']} ({resource['effectiveDateTime']})"
    when = resource.get("performedDateTime") or resource.get("onsetDateTime") or ""
    return f"{what} ({when[:10]})" if when else what


def _narrative(resources_in, empty):
    lines = [_line(resource) for resource in resources_in] or [empty]
    items = "".join(f"<li>{escape(line)}</li>" for line in lines)
    return {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml"><ul>{items}</ul></div>'}


def _wanted(section, resource):
    kind = resource["resourceType"]
    if section == "vital_signs":
        return kind == "Observation" and any(c.get("coding", [{}])[0].get("code") == "vital-signs"
                                             for c in resource.get("category", []))
    return kind == {"allergies": "AllergyIntolerance", "medications": "MedicationStatement",
                    "problems": "Condition", "procedures": "Procedure"}[section]


SECTIONS = (("allergies", "No allergies or intolerances recorded."),
            ("medications", "No medications recorded."),
            ("problems", "No problems recorded."),
            ("procedures", "No procedures recorded."),
            ("vital_signs", "No vital signs recorded."))


def _coded(entry):
    return {"coding": [{"system": terms.LOINC, "code": entry["loinc"], "display": entry["name"]}],
            "text": entry["name"]}


def summary(patient, base=None):
    """The patient summary (International Patient Summary) as a document Bundle."""
    now = timezone.now().isoformat()
    entries = []
    for source, queryset in compartment(patient):
        if _type_of(source) in SUMMARY_TYPES:
            entries += [entry(source, row, base) for row in queryset]
    entries = [e for e in entries if not _in_error(e["resource"])]
    for found in entries:
        found.pop("search")
        if not base:
            found["fullUrl"] = f"urn:uuid:{uuid.uuid4()}"
    by_reference = {f"{e['resource']['resourceType']}/{e['resource']['id']}": e["fullUrl"] for e in entries}

    def reference(resource):
        key = f"{resource['resourceType']}/{resource['id']}"
        return {"reference": by_reference[key] if not base else key}

    patient_entry = next(e for e in entries if e["resource"]["resourceType"] == "Patient")
    sections, referenced = [], set()
    for name, empty in SECTIONS:
        chosen = [e["resource"] for e in entries if _wanted(name, e["resource"])]
        referenced.update(id(resource) for resource in chosen)
        section = {"title": terms.summary_part(name)["name"], "code": _coded(terms.summary_part(name)),
                   "text": _narrative(chosen, empty)}
        if chosen:
            section["entry"] = [reference(resource) for resource in chosen]
        sections.append(section)
    clinic = {"display": patient.clinic.name}
    composition_id = str(uuid.uuid4())
    composition = {
        "resourceType": "Composition",
        "id": composition_id,
        "status": "final",
        "type": _coded(terms.summary_part("patient_summary")),
        "subject": reference(patient_entry["resource"]),
        "date": now,
        "author": [clinic],
        "title": f"Patient summary of {patient.given_name} {patient.family_name}",
        "custodian": clinic,
        "section": sections,
    }
    composition_url = f"urn:uuid:{composition_id}"  # not a resource this server serves on its own
    # A document holds what its composition references (the subject and each section's
    # entries): an observation no section lists (a pain score) is left out, not appended.
    ordered = [patient_entry] + [e for e in entries if e is not patient_entry and id(e["resource"]) in referenced]
    return {
        "resourceType": "Bundle",
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{uuid.uuid4()}"},
        "type": "document",
        "timestamp": now,
        "entry": [{"fullUrl": composition_url, "resource": composition}] + ordered,
    }
