"""Opening or creating the patient a practice system's request names.

The practice system's patient number (3000) is kept as the patient's identifier of the system
"gdt" (interop.models.PatientIdentifier), which results are filed under; the first request
also gives it to a chart without a record number as its record number. The record number
stays the clinic's to edit: a number changed or given to another chart later never moves
the practice system's patient. A request is matched

1. by the identifier: its birth date must agree (another birth date means a mix-up, and the
   request is refused naming 3103); a different name is reported, never overwritten;
2. else by the record number, for a chart the practice system has not named yet (numbers
   typed in by hand, charts linked before identifiers were kept), which then gets the
   identifier; a chart that already holds another number of the practice system is refused
   (its record number was changed or reused: a person decides);
3. else, by family name, given name and birth date, among the clinic's patients without a
   record number: one such patient gets the number (and the audit trail says so); several
   are refused, for a person to decide;
4. else a new patient is created from the master data.

A chart whose processing is restricted (GDPR Art. 18) is never opened or changed this way.
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from segmenta.audit.trail import record
from segmenta.interop.models import PatientIdentifier
from segmenta.patients.models import Patient, fold

from . import format

FOUND, LINKED, CREATED = "found", "linked", "created"
SYSTEM = "gdt"  # PatientIdentifier.system of the practice system's patient number
# The model field each master-data field fills, for errors that name the GDT field.
GDT_FIELD = {"record_number": format.PATIENT_NUMBER, "family_name": format.FAMILY_NAME,
             "given_name": format.GIVEN_NAME, "birth_date": format.BIRTH_DATE, "sex": format.SEX}


def _required(data):
    for key, field, what in (("number", format.PATIENT_NUMBER, "the patient number"),
                             ("family_name", format.FAMILY_NAME, "the family name"),
                             ("given_name", format.GIVEN_NAME, "the given name"),
                             ("birth_date", format.BIRTH_DATE, "the birth date")):
        if not data[key]:
            raise format.GdtError(f"{what} is missing; Segmenta needs it to open the right chart", field=field)


def open_or_create(clinic, parsed, source=""):
    """(patient, how, notes) for a parsed request; ``how`` is FOUND, LINKED or CREATED and
    ``notes`` lists what differs between the request and the chart. GdtError names the field."""
    if parsed["record_type"] not in format.REQUESTS:
        raise format.GdtError(f"record type {parsed['record_type']} is not a request Segmenta answers "
                              f"({', '.join(format.REQUESTS)})", line=1, field=format.RECORD_TYPE)
    data = parsed["patient"]
    _required(data)
    detail = {"via": "gdt", "record_type": parsed["record_type"], "patient_number": data["number"],
              **({"file": source} if source else {})}
    with transaction.atomic():
        known = (PatientIdentifier.objects.select_for_update().select_related("patient")
                 .filter(clinic=clinic, system=SYSTEM, value=data["number"]).first())
        patient = known.patient if known else None
        if patient is None:
            patient = Patient.objects.select_for_update().filter(clinic=clinic, record_number=data["number"]).first()
            if patient is not None:
                other = gdt_number(patient)
                if other is not None:
                    raise format.GdtError(
                        f"the chart with record number {data['number']} is patient {other} of the practice "
                        "system; its record number was changed or given again: check which chart is meant",
                        field=format.PATIENT_NUMBER)
        if patient is not None:
            _unrestricted(patient)
            if patient.birth_date != data["birth_date"]:
                raise format.GdtError(
                    f"patient number {data['number']} belongs to a patient born {patient.birth_date:%d.%m.%Y}, "
                    f"not {data['birth_date']:%d.%m.%Y}; check the number in the practice system",
                    field=format.BIRTH_DATE)
            if known is None:
                _remember(patient, data["number"])
            record("view", clinic=clinic, patient=patient, obj=patient, username="gdt", detail=detail)
            return patient, FOUND, _differences(patient, data)
        namesakes = list(Patient.objects.select_for_update().filter(
            clinic=clinic, record_number="", birth_date=data["birth_date"],
            name_key=f"{fold(data['family_name'])} {fold(data['given_name'])}"))
        if len(namesakes) > 1:
            raise format.GdtError(
                f"{len(namesakes)} patients named {data['given_name']} {data['family_name']}, born "
                f"{data['birth_date']:%d.%m.%Y}, have no record number; give the right one the number "
                f"{data['number']} in Segmenta", field=format.PATIENT_NUMBER)
        if namesakes:
            patient = namesakes[0]
            _unrestricted(patient)
            other = gdt_number(patient)
            if other is not None:  # its record number was emptied after an earlier request
                raise format.GdtError(
                    f"{data['given_name']} {data['family_name']}, born {data['birth_date']:%d.%m.%Y}, is patient "
                    f"{other} of the practice system in Segmenta, not {data['number']}: check which number is right",
                    field=format.PATIENT_NUMBER)
            patient.record_number = data["number"]
            _validated(patient, exclude=["clinic"])
            patient.save(update_fields=["record_number", "updated_at"])
            _remember(patient, data["number"])
            record("update", clinic=clinic, patient=patient, obj=patient, username="gdt",
                   detail={**detail, "record_number": ["", data["number"]]})
            return patient, LINKED, []
        patient = Patient(clinic=clinic, record_number=data["number"], family_name=data["family_name"],
                          given_name=data["given_name"], birth_date=data["birth_date"],
                          sex=data["sex"] or "unknown")
        _validated(patient)
        patient.save()
        _remember(patient, data["number"])
        record("create", clinic=clinic, patient=patient, obj=patient, username="gdt", detail=detail)
        return patient, CREATED, []


def gdt_number(patient):
    """The practice system's patient number of this chart, as its requests named it; None when
    no request has named it. Results are filed under this number, never the record number."""
    return (PatientIdentifier.objects.filter(clinic_id=patient.clinic_id, patient=patient, system=SYSTEM)
            .order_by("id").values_list("value", flat=True).first())


def _remember(patient, number):
    PatientIdentifier.objects.create(clinic_id=patient.clinic_id, patient=patient, system=SYSTEM, value=number)


def _unrestricted(patient):
    """A chart whose processing is restricted (GDPR Art. 18) takes no request."""
    if patient.restricted:
        raise format.GdtError(f"the chart of patient {patient.pk} is restricted (GDPR Art. 18) and takes no "
                              "request from the practice system", field=format.PATIENT_NUMBER)


def _validated(patient, exclude=None):
    try:
        patient.full_clean(exclude=exclude, validate_constraints=False)
    except ValidationError as error:
        name, messages = next(iter(error.message_dict.items()))
        raise format.GdtError(" ".join(messages), field=GDT_FIELD.get(name, name)) from None


def _differences(patient, data):
    found = []
    for key, field in (("family_name", format.FAMILY_NAME), ("given_name", format.GIVEN_NAME)):
        if fold(getattr(patient, key)) != fold(data[key]):
            found.append(f"{field}: the practice system says {data[key]!r}, the chart {getattr(patient, key)!r} "
                         "(the chart is not changed)")
    return found
