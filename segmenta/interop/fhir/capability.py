"""The CapabilityStatement: exactly the types, interactions and search parameters served."""

from django.utils import timezone

from . import bulk
from .search import PAGING
from .types import TYPES

FHIR_VERSION = "4.0.1"
# The operations on a Patient (segmenta/interop/fhir/everything.py), by the definitions they follow.
OPERATIONS = [
    {"name": "everything", "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
     "documentation": "Patient/ID/$everything: the patient and every resource about them (searchset, _count "
                      "and _offset page it)"},
    {"name": "summary", "definition": "http://hl7.org/fhir/uv/ips/OperationDefinition/summary",
     "documentation": "Patient/ID/$summary: a patient summary aligned with the International Patient Summary "
                      "(document Bundle; allergies, medications, problems, procedures, vital signs)"},
]


def capability_statement(base, bulk_export=False):
    """The statement of ``base``; with ``bulk_export`` declaring the Bulk Data export as well
    (bulk.declare_in), as /fhir/r4/metadata answers."""
    statement = _statement(base)
    return bulk.declare_in(statement) if bulk_export else statement


def _statement(base):
    resources = []
    for resource_type in TYPES.values():
        resource = {
            "type": resource_type.name,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": [{"name": name, "type": kind, "documentation": about}
                            for name, (kind, about) in sorted(resource_type.search.items())],
        }
        if resource_type.profile_note:
            resource["documentation"] = resource_type.profile_note
        if resource_type.name == "Patient":
            resource["operation"] = [dict(operation) for operation in OPERATIONS]
        resources.append(resource)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": timezone.localdate().isoformat(),
        "kind": "instance",
        "software": {"name": "Segmenta"},
        "implementation": {"description": "Segmenta FHIR R4 API (read, search, import by transaction)", "url": base},
        "fhirVersion": FHIR_VERSION,
        "format": ["json"],
        "rest": [{
            "mode": "server",
            "documentation": (
                "Every search also takes " + ", ".join(PAGING) + " (_count: default 50, at most 1000). "
                "A search parameter not listed here is refused with an OperationOutcome (400), unless the client "
                "sends 'Prefer: handling=lenient': it is then left out, and the self link shows what was used."),
            "security": {
                "service": [{"text": "Bearer token"}],
                "description": "Send 'Authorization: Bearer TOKEN' with a personal token of the Segmenta API "
                               "(profile page or 'segmenta token USERNAME'); every answer is limited to the "
                               "clinics of the token's user.",
            },
            "resource": resources,
            # POST of a transaction or batch Bundle to the base imports it (segmenta/interop/fhir/imports.py).
            "interaction": [
                {"code": "transaction", "documentation": "A transaction Bundle is imported: allergies, medications, "
                 "conditions and weights are taken, past operations and injuries proposed as candidate fields"},
                {"code": "batch", "documentation": "As a transaction, entry by entry"},
            ],
        }],
    }
