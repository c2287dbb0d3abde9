"""/api/v1/patients/{id}/<kind>: list, create, read and update every chart item.

One table drives all kinds. Input is typed for the OpenAPI document; the authoritative
checks are the models' own validators (``full_clean``), the same that guard the pages.
"""

import json
from datetime import datetime
from typing import Annotated, Literal, Optional

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from pydantic import WithJsonSchema

from segmenta.audit.trail import record
from segmenta.knowledge import vocabulary
from segmenta.patients import models as m
from segmenta.patients.corrections import AlreadyInError, mark_in_error
from segmenta.patients.kept import Kept, trained_techniques, visible_stamp_key
from segmenta.patients.versions import as_json, histories
from segmenta.treatment.case import KEPT, stored_case_of

from .errors import FieldErrors, refusals
from .modelschema import field_type, model_schema
from .schemas import Case, Out, Strict
from .written import answer, render

router = Router(tags=["chart"])


class ChartItemOut(Out):
    """What every chart entry answers besides its own fields: whether, when, by whom and why
    it was marked entered in error (then it counts nowhere)."""

    entered_in_error_at: Optional[datetime] = None
    entered_in_error_by: Optional[str] = None
    error_reason: str = ""

    @staticmethod
    def resolve_entered_in_error_by(obj):
        return obj.entered_in_error_by.get_username() if obj.entered_in_error_by_id else None


class VersionOut(Out):
    version: int
    type: Literal["created", "changed", "entered_in_error", "deleted"]
    at: datetime
    by: Optional[str] = None
    changed_fields: list[str]
    note: str
    content: dict


class EnteredInErrorIn(Strict):
    reason: str = Field(..., min_length=1, max_length=500)


class ListOptions(Schema):
    include_in_error: bool = False


def _versions(item):
    return as_json(type(item), histories(type(item), [item.pk], item.clinic_id).get(item.pk, []))


# url segment: (model, editable fields)
KINDS = {
    "weights": (m.WeightMeasurement, ["date", "weight_kg", "height_cm"]),
    "allergies": (m.Allergy, ["substance", "allergy_class", "reaction", "active"]),
    "medications": (m.Medication, ["name", "medication_class", "dose", "last_dose", "active"]),
    "conditions": (m.Condition, ["code", "text", "active"]),
    "pregnancy": (m.PregnancyStatus, ["date", "status", "note"]),
    "consents": (m.Consent, ["date", "decision", "scopes", "scope", "method", "signature_svg", "withdrawn_on",
                             "withdrawal_note"]),
    # "This list is complete as of date": allergies or medications; the reviewer is the caller.
    "reviews": (m.ChartReview, ["kind", "date", "note"]),
    "complaints": (m.Complaint, ["description", "regions", "organs", "onset", "nrs", "findings", "status", "notes"]),
    "history": (m.HistoryItem, ["kind", "tooth", "date", "regions", "organs", "description", "signs", "notes"]),
}


def _patient(request, patient_id, for_update=False):
    patients = m.Patient.objects.visible_to(request.user).select_related("clinic")
    if for_update:
        patients = patients.select_for_update(of=("self",))
    return get_object_or_404(patients, pk=patient_id)


def _save(item, request, action):
    # A date-time without an offset is the clinic's local time.
    for field in item._meta.concrete_fields:
        value = getattr(item, field.attname)
        if isinstance(value, datetime) and timezone.is_naive(value):
            setattr(item, field.attname, timezone.make_aware(value))
    try:
        item.full_clean(exclude=["patient", "recorded_by"])
    except DjangoValidationError as error:
        raise FieldErrors.from_django(error) from None
    item.save()
    record(action, request=request, patient=item.patient, obj=item, detail={"api": True})
    return item


def _register(kind, model, fields):
    Out = model_schema(model, f"{model.__name__}Out", ["id", *fields, "recorded_at"], mode="out",
                       base=ChartItemOut)
    In = model_schema(model, f"{model.__name__}In", fields, mode="in")
    Patch = model_schema(model, f"{model.__name__}Patch", fields, mode="patch")
    label = model._meta.verbose_name

    @router.get(f"/{{int:patient_id}}/{kind}", response=list[Out], url_name=f"list_{kind}",
                operation_id=f"list_{kind}", summary=f"List {model._meta.verbose_name_plural}")
    def list_items(request, patient_id: int, options: Query[ListOptions]):
        patient = _patient(request, patient_id)
        record("view", request=request, patient=patient, object_type=model._meta.model_name,
               detail={"api": True, "list": True, **({"include_in_error": True} if options.include_in_error else {})})
        items = model.objects.filter(patient=patient).select_related("entered_in_error_by")
        # Entries entered in error count nowhere: listed only when asked for.
        return items if options.include_in_error else items.filter(entered_in_error_at=None)

    @router.post(f"/{{int:patient_id}}/{kind}", response={201: Out, **refusals(423)}, url_name=f"create_{kind}",
                 operation_id=f"create_{kind}", summary=f"Add a {label}")
    def create_item(request, patient_id: int, payload: In):
        with transaction.atomic():
            patient = _patient(request, patient_id, for_update=True)
            # Fields left out take the model's default, never a NULL the column refuses.
            data = {k: v for k, v in payload.dict().items() if v is not None or model._meta.get_field(k).null}
            item = model(patient=patient, recorded_by=request.user, **data)
            return Status(201, _save(item, request, "create"))

    @router.get(f"/{{int:patient_id}}/{kind}/{{int:item_id}}", response=Out, url_name=f"read_{kind}",
                operation_id=f"read_{kind}", summary=f"Read a {label}")
    def read_item(request, patient_id: int, item_id: int):
        patient = _patient(request, patient_id)
        item = get_object_or_404(model, patient=patient, pk=item_id)
        record("view", request=request, patient=patient, obj=item, detail={"api": True})
        return item

    @router.patch(f"/{{int:patient_id}}/{kind}/{{int:item_id}}", response={200: Out, **refusals(409, 423)}, url_name=f"update_{kind}",
                  operation_id=f"update_{kind}", summary=f"Update a {label}")
    def update_item(request, patient_id: int, item_id: int, payload: Patch):
        changes = payload.dict(exclude_unset=True)  # null only reaches a nullable column (the schema)
        with transaction.atomic():
            patient = _patient(request, patient_id, for_update=True)
            item = get_object_or_404(model, patient=patient, pk=item_id)
            if item.in_error:
                raise HttpError(409, f"entered_in_error_at: this {label} was entered in error and cannot be "
                                     "changed; add a corrected one")
            for name, value in changes.items():
                setattr(item, name, value)
            return _save(item, request, "update")

    @router.get(f"/{{int:patient_id}}/{kind}/{{int:item_id}}/versions", response=list[VersionOut],
                url_name=f"versions_{kind}", operation_id=f"versions_{kind}",
                summary=f"Every version of a {label}, newest first")
    def item_versions(request, patient_id: int, item_id: int):
        patient = _patient(request, patient_id)
        item = get_object_or_404(model, patient=patient, pk=item_id)
        record("view", request=request, patient=patient, obj=item, detail={"api": True, "versions": True})
        return _versions(item)

    @router.post(f"/{{int:patient_id}}/{kind}/{{int:item_id}}/entered-in-error", response={200: Out, **refusals(409, 423)},
                 url_name=f"in_error_{kind}", operation_id=f"in_error_{kind}",
                 summary=f"Mark a {label} as entered in error",
                 description="Never deleted: the entry keeps its content and versions and counts nowhere "
                             "(the case, the safety check, the assessment). `reason` is required.")
    def mark_item_in_error(request, patient_id: int, item_id: int, payload: EnteredInErrorIn):
        with transaction.atomic():
            patient = _patient(request, patient_id, for_update=True)
            item = get_object_or_404(model.objects.select_for_update(of=("self",)), patient=patient, pk=item_id)
            try:
                mark_in_error(item, request.user, payload.reason)
            except DjangoValidationError as error:
                raise FieldErrors.from_django(error) from None
            except AlreadyInError:
                raise HttpError(409, f"entered_in_error_at: this {label} was already marked entered in error") \
                    from None
            record("update", request=request, patient=patient, obj=item,
                   detail={"api": True, "fields": ["entered_in_error"], "entered_in_error": True})
            return item


for _kind, (_model, _fields) in KINDS.items():
    _register(_kind, _model, _fields)


# Checked by the model with the other fields, so one answer names every bad field.
FormDate = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]

ConsentScanOut = model_schema(m.Consent, "ConsentScanOut", ["id", "date", "decision", "scopes", "scope", "method",
                                                            "withdrawn_on", "withdrawal_note", "recorded_at"],
                              mode="out")


@router.post("/{int:patient_id}/consents/scanned", response={201: ConsentScanOut, **refusals(423)},
             url_name="create_scanned_consent",
             summary="Add a consent signed on paper, with the scan (multipart form)",
             description="`scopes` repeats once per use the consent covers; a consent given covers at least one. "
                         "`decision` is `given` (default) or `refused`.")
def create_scanned_consent(request, patient_id: int, date: FormDate = Form(...), scope: str = Form(..., max_length=2000),
                           scan: UploadedFile = File(...),
                           decision: field_type(m.Consent, "decision") = Form("given"),
                           scopes: list[Literal[tuple(vocabulary.codes("consent_scope"))]] = Form([])):
    with transaction.atomic():
        patient = _patient(request, patient_id, for_update=True)
        consent = m.Consent(patient=patient, recorded_by=request.user, date=date, scope=scope, decision=decision,
                            scopes=scopes, method=m.Consent.Method.SCAN, scan=scan)
        return Status(201, _save(consent, request, "create"))


@router.get("/{int:patient_id}/versions", response=list[VersionOut], url_name="patient_versions",
            summary="Every version of a patient's details, newest first")
def patient_versions(request, patient_id: int):
    patient = _patient(request, patient_id)
    record("view", request=request, patient=patient, obj=patient, detail={"api": True, "versions": True})
    return _versions(patient)


@router.get("/{int:patient_id}/case", response=Case, url_name="patient_case", summary="The patient in the case format",
            description="segmenta-case/1, valid against the schema that `segmenta schema case` prints.")
def case(request, patient_id: int):
    # The patient's visibility, its clinic's jurisdiction and its stamps in one query: the
    # export needs nothing else of the patient while its case is kept.
    clinic_id, jurisdiction, stamp = visible_stamp_key(request.user, patient_id)
    # Built first, then recorded: no transaction held open (on SQLite, the write lock)
    # while the case is worked out, and no event for an export that failed.
    result, key = stored_case_of(clinic_id, patient_id, stamp)
    if result is None:  # deleted since
        raise Http404("No patient matches the given query.")
    profile = getattr(request.user, "profile", None)
    practitioner = None
    if profile is not None:  # the caller's own: never part of the case kept for every caller
        practitioner = profile.practitioner_block(trained_techniques(profile, stamp), jurisdiction)
        result = {**result, "practitioner": practitioner}
    record("export", request=request, clinic_id=clinic_id, patient_id=patient_id, object_type="patient",
           object_id=patient_id, detail={"format": "case", "api": True})
    if key is None:
        return result
    # The JSON too is kept, under the case's key and the caller's practitioner block.
    return answer(_CASE_JSON.get((*key, json.dumps(practitioner)), lambda: render(request, result)))


# Each case as answered, in JSON: as many as cases are kept (treatment/case.py), twice over
# for the callers' practitioner blocks, and at most 8 million characters in all (a large
# chart's case is some 100,000).
_CASE_JSON = Kept(2 * KEPT, budget=8_000_000)

