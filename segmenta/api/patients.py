"""/api/v1/patients: list, create, read and update, scoped to the caller's clinics."""

from datetime import date, datetime
from operator import attrgetter
from typing import Literal, Optional

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import get_language
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import ConfigDict, field_validator

from segmenta.accounts.models import Clinic
from segmenta.audit.trail import record
from segmenta.knowledge import vocabulary
from segmenta.patients.audit import record_list_view, record_list_view_of_ids
from segmenta.patients.kept import Kept
from segmenta.patients.models import Patient, offered_language, visible_query, visible_row

from .dates import PastDate
from .errors import refusals
from .pagination import BoundedPagination
from .schemas import Out, Strict
from .written import answer, render

router = Router(tags=["patients"])

Sex = Literal[tuple(vocabulary.codes("sex"))]
Language = Literal[tuple(code for code, _name in settings.LANGUAGES)]
LANGUAGE_HELP = ("The patient's preferred language: what the patient reads (questionnaires, answer links, "
                 "the patient's copy, consent texts) is in it.")


class PatientOut(Out):
    id: int
    clinic: int = Field(..., alias="clinic_id")
    clinic_name: str
    record_number: str
    family_name: str
    given_name: str
    birth_date: date
    sex: Sex
    language: Language = Field(..., description=LANGUAGE_HELP)
    phone: str
    email: str
    created_at: datetime
    updated_at: datetime
    # Set after an erasure request within the retention period: the chart is then read only
    # (every change answers 423) until it is purged.
    restricted_at: Optional[datetime] = Field(None, description="When processing was restricted (GDPR Art. 18); "
                                                                  "null while the chart may be changed.")

    @staticmethod
    def resolve_clinic_name(patient):
        # A list reads the name alone (PatientQuerySet.with_clinic_name); one patient, its clinic.
        return patient.clinic_name if hasattr(patient, "clinic_name") else patient.clinic.name


def _check_email(value):
    if value:
        try:
            validate_email(value)
        except DjangoValidationError:
            raise ValueError("is not a valid email address") from None
    return value


class PatientIn(Strict):
    model_config = ConfigDict(str_strip_whitespace=True)

    clinic: Optional[int] = Field(None, description="Required when the caller belongs to several clinics.")
    family_name: str = Field(..., min_length=1, max_length=100)
    given_name: str = Field(..., min_length=1, max_length=100)
    birth_date: PastDate
    sex: Sex
    language: Optional[Language] = Field(None, description=LANGUAGE_HELP + " Left out: the language the caller "
                                         "works in (profile, else Accept-Language).")
    record_number: str = Field("", max_length=32)
    phone: str = Field("", max_length=40)
    email: str = Field("", max_length=254)

    _email = field_validator("email")(_check_email)


class PatientPatch(Strict):
    """Only what is sent changes; no field may be null (an empty text clears phone, email
    and record number)."""

    model_config = ConfigDict(str_strip_whitespace=True)

    family_name: str = Field(None, min_length=1, max_length=100)
    given_name: str = Field(None, min_length=1, max_length=100)
    birth_date: PastDate = None
    sex: Sex = None
    language: Language = Field(None, description=LANGUAGE_HELP)
    record_number: str = Field(None, max_length=32)
    phone: str = Field(None, max_length=40)
    email: str = Field(None, max_length=254)

    _email = field_validator("email")(_check_email)


class ListFilters(Schema):
    q: str = Field("", max_length=100, description="Name or record number")
    clinic: Optional[int] = Field(None, ge=1, le=2**63 - 1)


def _visible(request):
    return Patient.objects.visible_to(request.user).select_related("clinic")


# A page of the list: the shape and the name django-ninja's ``paginate`` gives it (a comment,
# not a docstring: the OpenAPI document stays as it was).
class PagedPatientOut(Schema):
    items: list[PatientOut]
    count: int


# Each patient as the API writes it, kept by the process under everything it is written from:
# the row as read (_row_json), or, for a patient read otherwise, every value PatientOut
# writes (_written_from). Why: the list is asked for more than anything else, and building
# each row's patient, schema object and JSON cost more than reading the rows
# (docs/scaling.md). A changed patient, a renamed clinic, a new field: each is a new key, so
# nothing kept is ever stale.
_PATIENT_JSON = Kept(10_000)


# How PatientOut reads each of its fields from a patient: by its resolver, else by name or alias.
_READERS = [getattr(PatientOut, f"resolve_{name}", None) or attrgetter(field.alias or name)
            for name, field in PatientOut.model_fields.items()]


def _written_from(patient):
    """Every value PatientOut writes of ``patient``, as read."""
    return tuple(read(patient) for read in _READERS)


def _patient_json(request, patient):
    """``patient`` in JSON, written as django-ninja writes a PatientOut answer."""
    return _PATIENT_JSON.get(_written_from(patient), lambda: _write(request, patient))


def _row_json(request, prepared, row):
    """The patient of ``row`` (a row of the Prepared query ``prepared`` as the database
    returned it) in JSON, as _patient_json writes it. Kept under the row itself: the row
    holds every column the patient is made from, its clinic's name too, so a changed patient
    is a new row; the list makes no patient at all for a row seen before. With the rows'
    layout: the list and the read, which select alike, share what they keep."""
    return _PATIENT_JSON.get((prepared.layout(), *row), lambda: _write(request, prepared.made([row])[0]))


def _write(request, patient):
    out = PatientOut.model_validate(patient, context={"request": request, "response_status": 200})
    return render(request, out.model_dump())


def _unique_record_number(clinic, number, exclude=None):
    if number and Patient.objects.filter(clinic=clinic, record_number=number).exclude(pk=exclude).exists():
        raise HttpError(409, "record_number: another patient of this clinic has this record number")


@router.get("", response=PagedPatientOut, summary="List patients")
def list_patients(request, filters: Query[ListFilters], page: Query[BoundedPagination.Input]):
    detail = {"api": True, "q": filters.q}
    query = visible_query(request.user, filters.clinic) if not filters.q.split() else None
    if query is not None:
        prepared, values = query
        rows = prepared.rows(*values, limit=page.limit, offset=page.offset)
        at_clinic, at_id = prepared.column("clinic_id"), prepared.column("id")
        shown = [(row[at_clinic], row[at_id]) for row in rows]
        record_list_view_of_ids(request, shown, detail)  # which patients the page showed
        items = [_row_json(request, prepared, row) for row in rows]
        count = lambda: prepared.count(*values)  # noqa: E731
    else:
        patients = Patient.objects.visible_to(request.user).with_clinic_name()
        if filters.clinic is not None:
            patients = patients.filter(clinic_id=filters.clinic)
        if filters.q.split():
            patients = patients.search(filters.q)
        shown = list(patients[page.offset:page.offset + page.limit])
        record_list_view(request, shown, detail)
        items = [_patient_json(request, p) for p in shown]
        count = patients.count
    # A page that is not full (and not empty) ends the list: its count is known.
    total = page.offset + len(shown) if 0 < len(shown) < page.limit else count()
    # As django-ninja's renderer writes {"items": [...], "count": n} (test_patient_json.py).
    return answer(f'{{"items": [{", ".join(items)}], "count": {total}}}')


@router.post("", response={201: PatientOut, **refusals(409)}, summary="Create a patient")
def create_patient(request, payload: PatientIn):
    clinics = Clinic.objects.filter(memberships__user=request.user)
    if payload.clinic is None:
        if clinics.count() != 1:
            raise HttpError(422, "clinic: required, because you belong to several clinics")
        clinic = clinics.get()
    else:
        clinic = clinics.filter(pk=payload.clinic).first()
        if clinic is None:
            raise HttpError(422, "clinic: not one of your clinics")
    data = payload.dict(exclude={"clinic"})
    data["language"] = data["language"] or offered_language(get_language())
    _unique_record_number(clinic, data["record_number"])
    try:
        with transaction.atomic():
            patient = Patient.objects.create(clinic=clinic, created_by=request.user, **data)
            record("create", request=request, patient=patient, obj=patient, detail={"api": True})
    except IntegrityError:  # a concurrent request took the record number first
        raise HttpError(409, "record_number: another patient of this clinic has this record number") from None
    return Status(201, patient)


@router.get("/{int:patient_id}", response=PatientOut, summary="Read a patient")
def read_patient(request, patient_id: int):
    # Read as the list reads each patient: the answer is kept under the row, for both.
    prepared, row = visible_row(request.user, patient_id)
    clinic_id, patient_id = row[prepared.column("clinic_id")], row[prepared.column("id")]
    record("view", request=request, clinic_id=clinic_id, patient_id=patient_id, object_type="patient",
           object_id=patient_id, detail={"api": True})
    return answer(_row_json(request, prepared, row))


@router.patch("/{int:patient_id}", response={200: PatientOut, **refusals(409, 423)}, summary="Update a patient")
def update_patient(request, patient_id: int, payload: PatientPatch):
    changes = payload.dict(exclude_unset=True)
    if not changes:
        return read_patient(request, patient_id)
    with transaction.atomic():
        patient = get_object_or_404(_visible(request).select_for_update(of=("self",)), pk=patient_id)
        if "record_number" in changes:
            _unique_record_number(patient.clinic, changes["record_number"], exclude=patient.pk)
        for name, value in changes.items():
            setattr(patient, name, value)
        try:
            with transaction.atomic():
                patient.save()
        except IntegrityError:
            raise HttpError(409, "record_number: another patient of this clinic has this record number") from None
        record("update", request=request, patient=patient, obj=patient,
               detail={"api": True, "fields": sorted(changes)})
    return patient
