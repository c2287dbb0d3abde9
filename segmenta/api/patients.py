"""/api/v1/patients: list, create, read and update, scoped to the caller's clinics."""

from datetime import date, datetime
from typing import Literal, Optional

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import get_language
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate
from pydantic import ConfigDict, field_validator

from segmenta.accounts.models import Clinic
from segmenta.audit.trail import record
from segmenta.knowledge import vocabulary
from segmenta.patients.audit import record_list_view
from segmenta.patients.models import Patient, offered_language, visible_list

from .dates import PastDate
from .errors import refusals
from .pagination import BoundedPagination
from .schemas import Out, Strict

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


class AuditedList:
    """A list of patients that records which ones the paginated page actually showed:
    ``rows(limit, offset)`` reads a page, ``count()`` counts them all."""

    def __init__(self, request, rows, count, detail):
        self.request, self.rows, self._count, self.detail = request, rows, count, detail
        self._known = None

    @classmethod
    def of(cls, request, queryset, detail):
        return cls(request, lambda limit, offset: list(queryset[offset:offset + limit]), queryset.count, detail)

    def __getitem__(self, index):
        page = self.rows(index.stop - index.start, index.start)
        record_list_view(self.request, page, self.detail)
        # A page that is not full (and not empty) ends the list: its count is known.
        self._known = index.start + len(page) if 0 < len(page) < index.stop - index.start else None
        return page

    def count(self):
        return self._known if self._known is not None else self._count()

    def all(self):  # the paginator counts through .all().count()
        return self

    def all(self):  # the paginator counts through .all().count()
        return self


def _unique_record_number(clinic, number, exclude=None):
    if number and Patient.objects.filter(clinic=clinic, record_number=number).exclude(pk=exclude).exists():
        raise HttpError(409, "record_number: another patient of this clinic has this record number")


@router.get("", response=list[PatientOut], summary="List patients")
@paginate(BoundedPagination)
def list_patients(request, filters: Query[ListFilters]):
    detail = {"api": True, "q": filters.q}
    if not filters.q.split():
        return AuditedList(request, *visible_list(request.user, filters.clinic), detail)
    patients = Patient.objects.visible_to(request.user).with_clinic_name()
    if filters.clinic is not None:
        patients = patients.filter(clinic_id=filters.clinic)
    return AuditedList.of(request, patients.search(filters.q), detail)


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
    patient = Patient.objects.for_user_or_404(request.user, patient_id)
    record("view", request=request, patient=patient, obj=patient, detail={"api": True})
    return patient


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
