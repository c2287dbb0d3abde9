"""/api/v1/patients/{id}/sessions and /api/v1/sessions/{id}: sessions, injections,
signing and amendments."""

from datetime import date, datetime
from typing import Literal, Optional

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Status
from ninja.errors import HttpError
from pydantic import ConfigDict

from segmenta.audit.trail import record
from segmenta.knowledge import vocabulary
from segmenta.patients.models import Complaint, HistoryItem, Patient
from segmenta.treatment.models import Injection, Lot, Product, Session
from segmenta.treatment.sessions import (TreatmentError, add_injection, amend, discard_draft, record_response,
                                        remove_injection, removed_injections, sign)

from . import schemas
from .schemas import number
from .dates import ClinicalDateTime, ExpiryDate
from .errors import FieldErrors, refusals
from .modelschema import field_type, region_list

router = Router(tags=["sessions"])


class Strict(schemas.Strict):
    model_config = ConfigDict(str_strip_whitespace=True)


class SafetyReasonOut(schemas.Out):
    code: str
    message: str
    verdict: field_type(Injection, "verdict")


class InjectionOut(schemas.Out):
    id: int
    order: int
    time: datetime
    target: field_type(Injection, "target")
    drug: field_type(Injection, "drug")
    concentration_percent: float
    volume_ml: float
    mg: float
    cumulative_mg: float
    verdict: field_type(Injection, "verdict")
    reasons: list[SafetyReasonOut]
    override_reason: str
    history_item: Optional[int]
    complaint: Optional[int]
    performed_by: Optional[str] = Field(..., description="username of who injected")
    product: Optional[int]
    stock_lot: Optional[int] = Field(None, description="id of the lot in stock it was drawn from, if any")
    lot: str
    expiry: Optional[date]


class AmendmentOut(schemas.Out):
    id: int
    author: str
    created_at: datetime
    reason: str
    text: str
    content_hash: str


class RemovedInjectionOut(schemas.Out):
    id: int
    order: int
    target: field_type(Injection, "target")
    mg: float
    removed_at: datetime
    removed_by: Optional[str]
    reason: Optional[str]


class SessionOut(schemas.Out):
    id: int
    patient: int
    plan: Optional[int]
    started_at: datetime
    status: field_type(Session, "status")
    notes: str
    practitioner: Optional[str]
    knowledge_version: str
    signed_at: Optional[datetime]
    signed_by: Optional[str]
    content_hash: Optional[str] = Field(..., description="SHA-256 of the signed content; null while a draft")
    injections: list[InjectionOut]
    amendments: list[AmendmentOut]
    removed_injections: list[RemovedInjectionOut]


class InjectionCreatedOut(schemas.Out):
    id: int
    mg: float
    cumulative_mg: float
    verdict: field_type(Injection, "verdict")
    reasons: list[SafetyReasonOut]
    override_reason: str


class InjectionResponseOut(schemas.Out):
    id: int
    changed: list[Literal["onset_seconds", "relief_percent", "duration_hours"]]
    onset_seconds: Optional[int]
    relief_percent: Optional[int]
    duration_hours: Optional[float]


class AmendmentCreatedOut(schemas.Out):
    id: int
    reason: str
    text: str
    content_hash: str


class SessionIn(Strict):
    started_at: ClinicalDateTime
    notes: str = Field("", max_length=10000)
    plan: Optional[int] = None


class SessionPatch(Strict):
    """Only what is sent changes; neither may be null."""

    started_at: ClinicalDateTime = None
    notes: str = Field(None, max_length=10000)


class InjectionIn(Strict):
    target: Literal[tuple(vocabulary.codes("injection_target"))]
    drug: Literal[tuple(vocabulary.codes("drug"))] = "procaine"
    concentration_percent: Optional[number(gt=0, le=20)] = Field(None, description="required unless a product is given")
    volume_ml: number(gt=0, le=100)
    time: Optional[ClinicalDateTime] = None
    regions: region_list() = Field(default_factory=list)
    side: Literal[("", *vocabulary.codes("side"))] = ""
    history_item: Optional[int] = None
    complaint: Optional[int] = None
    technique_notes: str = Field("", max_length=500)
    aspiration_done: bool = False
    onset_seconds: Optional[int] = Field(None, ge=0, le=86400)  # a response within the day; also the column's range
    relief_percent: Optional[int] = Field(None, ge=0, le=100)
    performed_by: Optional[str] = Field(None, max_length=150, description="username of who injects; default: you")
    product: Optional[int] = Field(None, description="id of a product of the clinic; sets drug and strength")
    stock_lot: Optional[int] = Field(None, description="id of a lot in stock (GET /api/v1/lots/stock); sets product, "
                                                       "lot and expiry. Without it a product whose stock is kept "
                                                       "draws from the lot typed in `lot`, else from its lot that "
                                                       "expires first")
    lot: str = Field("", max_length=40)
    expiry: Optional[ExpiryDate] = None
    override_reason: str = Field("", max_length=2000)


class ResponseIn(Strict):
    onset_seconds: Optional[int] = Field(None, ge=0, le=86400)  # a response within the day; also the column's range
    relief_percent: Optional[int] = Field(None, ge=0, le=100)
    duration_hours: Optional[number(ge=0, max_digits=6, decimal_places=2)] = None


class RemovalIn(Strict):
    reason: str = Field(..., min_length=1, max_length=100)


class AmendmentIn(Strict):
    reason: str = Field(..., min_length=1, max_length=500)
    text: str = Field(..., min_length=1, max_length=10000)


def _session(request, session_id, for_update=False):
    sessions = Session.objects.visible_to(request.user).select_related(
        "patient", "patient__clinic")
    if for_update:
        sessions = sessions.select_for_update(of=("self",))
    return get_object_or_404(sessions, pk=session_id)


def _out(session):
    return {
        "id": session.pk, "patient": session.patient_id, "plan": session.plan_id,
        "started_at": session.started_at.isoformat(), "status": session.status, "notes": session.notes,
        "practitioner": session.practitioner.username if session.practitioner else None,
        "knowledge_version": session.knowledge_version,
        "signed_at": session.signed_at.isoformat() if session.signed_at else None,
        "signed_by": session.signed_by.username if session.signed_by else None,
        "content_hash": session.content_hash or None,
        "injections": [{"id": i.pk, "order": i.order, "time": i.time.isoformat(), "target": i.target,
                        "drug": i.drug, "concentration_percent": float(i.concentration_percent),
                        "volume_ml": float(i.volume_ml), "mg": float(i.mg), "cumulative_mg": float(i.cumulative_mg),
                        "verdict": i.verdict, "reasons": i.reasons, "override_reason": i.override_reason,
                        "history_item": i.history_item_id, "complaint": i.complaint_id,
                        "performed_by": i.performed_by.username if i.performed_by else None,
                        "product": i.product_id, "stock_lot": i.stock_lot_id, "lot": i.lot, "expiry": i.expiry.isoformat() if i.expiry else None}
                       for i in session.injections.select_related("performed_by")],
        "amendments": [{"id": a.pk, "author": a.author.username, "created_at": a.created_at.isoformat(),
                        "reason": a.reason, "text": a.text, "content_hash": a.content_hash}
                       for a in session.amendments.select_related("author")],
        "removed_injections": [{"id": r.id, "order": r.order, "target": r.target, "mg": float(r.mg),
                                "removed_at": r.history_date.isoformat(),
                                "removed_by": r.history_user.username if r.history_user else None,
                                "reason": r.history_change_reason}
                               for r in removed_injections(session)],
    }


def _refused(error):
    if error.status == 422:
        raise FieldErrors([{"field": error.field, "message": error.message}])
    raise HttpError(error.status, f"{error.field}: {error.message}")


@router.post("/patients/{int:patient_id}/sessions", response={201: SessionOut, **refusals(423)}, url_name="create_session",
             summary="Start a session (a draft until signed)")
def create_session(request, patient_id: int, payload: SessionIn):
    patient = get_object_or_404(Patient.objects.visible_to(request.user), pk=patient_id)
    plan = None
    if payload.plan is not None:
        plan = patient.plans.filter(pk=payload.plan).first()
        if plan is None:
            raise FieldErrors([{"field": "plan", "message": "not a plan of this patient"}])
    with transaction.atomic():
        session = Session.objects.create(patient=patient, plan=plan, started_at=payload.started_at,
                                         notes=payload.notes, practitioner=request.user)
        record("create", request=request, patient=patient, obj=session, detail={"api": True})
    return Status(201, _out(session))


@router.get("/sessions/{int:session_id}", response=SessionOut, url_name="read_session", summary="Read a session")
def read_session(request, session_id: int):
    session = _session(request, session_id)
    record("view", request=request, patient=session.patient, obj=session, detail={"api": True})
    return _out(session)


@router.patch("/sessions/{int:session_id}", response={200: SessionOut, **refusals(409, 423)}, url_name="update_session",
              summary="Change a draft session (409 once signed)")
def update_session(request, session_id: int, payload: SessionPatch):
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items()}
    with transaction.atomic():
        session = _session(request, session_id, for_update=True)
        if session.signed:
            raise HttpError(409, "session: signed sessions are never edited; add an amendment")
        for name, value in changes.items():
            setattr(session, name, value)
        if changes:
            session.save()
            record("update", request=request, patient=session.patient, obj=session,
                   detail={"api": True, "fields": sorted(changes)})
    return _out(session)


@router.post("/sessions/{int:session_id}/injections", response={201: InjectionCreatedOut, **refusals(409, 423)},
             url_name="create_injection",
             summary="Add an injection (checked by the safety engine first)",
             description="A `block` is refused (422) unless a physician sends `override_reason`.")
def create_injection(request, session_id: int, payload: InjectionIn):
    session = _session(request, session_id)
    data = payload.dict()
    override_reason = data.pop("override_reason")
    data["time"] = data["time"] or session.started_at
    for name, model in (("history_item", HistoryItem), ("complaint", Complaint)):
        if data[name] is not None:
            data[name] = model.objects.filter(patient=session.patient, pk=data[name]).first()
            if data[name] is None:
                raise FieldErrors([{"field": name, "message": "not an item of this patient"}])
    if data["performed_by"] is not None:
        data["performed_by"] = get_user_model().objects.filter(
            username=data["performed_by"], memberships__clinic=session.patient.clinic_id, is_active=True).first()
        if data["performed_by"] is None:
            raise FieldErrors([{"field": "performed_by", "message": "nobody of this clinic has that username"}])
    if data["stock_lot"] is not None:
        data["stock_lot"] = Lot.objects.filter(clinic=session.patient.clinic_id, pk=data["stock_lot"]).first()
        if data["stock_lot"] is None:
            raise FieldErrors([{"field": "stock_lot", "message": "not a lot of this clinic"}])
        if data["product"] is None:
            data["product"] = data["stock_lot"].product_id  # the lot says which product it is
    if data["product"] is not None:
        data["product"] = Product.objects.filter(clinic=session.patient.clinic_id, pk=data["product"],
                                                 active=True).first()
        if data["product"] is None:
            raise FieldErrors([{"field": "product", "message": "not a product this clinic uses"}])
        # The product says what is in the syringe; what was also sent must agree with it.
        product = data["product"]
        for name, value in (("drug", product.drug), ("concentration_percent", product.concentration_percent)):
            if name in payload.model_fields_set and data[name] is not None and data[name] != value:
                raise FieldErrors([{"field": name, "message": f"{product.name} holds {product.get_drug_display()} "
                                                              f"{product.concentration_percent:g} %"}])
            data[name] = value
    if data["concentration_percent"] is None:
        raise FieldErrors([{"field": "concentration_percent", "message": "give the concentration, or a product"}])
    try:
        item = add_injection(session, data, request.user, request=request, override_reason=override_reason)
    except TreatmentError as error:
        _refused(error)
    except ValidationError as error:
        raise FieldErrors.from_django(error) from None
    return Status(201, {"id": item.pk, "mg": float(item.mg), "cumulative_mg": float(item.cumulative_mg),
                        "verdict": item.verdict, "reasons": item.reasons, "override_reason": item.override_reason})


@router.patch("/sessions/{int:session_id}/injections/{int:injection_id}", response={200: InjectionResponseOut, **refusals(409, 423)},
              url_name="injection_response",
              summary="Add or correct a saved injection's response while the session is a draft",
              description="Only `onset_seconds`, `relief_percent` and `duration_hours` change; the injection's "
                          "versions keep the earlier values. 409 once signed.")
def injection_response(request, session_id: int, injection_id: int, payload: ResponseIn):
    session = _session(request, session_id)
    injection = get_object_or_404(session.injections.all(), pk=injection_id)
    values = {name: getattr(injection, name) for name in ("onset_seconds", "relief_percent", "duration_hours")}
    values.update(payload.dict(exclude_unset=True))
    try:
        changed = record_response(injection, values, request.user, request=request)
    except TreatmentError as error:
        _refused(error)
    return {"id": injection.pk, "changed": changed, "onset_seconds": injection.onset_seconds,
            "relief_percent": injection.relief_percent,
            "duration_hours": float(injection.duration_hours) if injection.duration_hours is not None else None}


@router.post("/sessions/{int:session_id}/injections/{int:injection_id}/removal", response={200: SessionOut, **refusals(409, 423)},
             url_name="remove_injection", summary="Remove a mistaken injection from a draft, saying why",
             description="The injection's versions keep it with its removal (who, when, `reason`). 409 once "
                         "signed; 422 when an adverse event or a follow-up refers to it.")
def remove_mistaken_injection(request, session_id: int, injection_id: int, payload: RemovalIn):
    session = _session(request, session_id)
    injection = get_object_or_404(session.injections.select_related("session"), pk=injection_id)
    try:
        remove_injection(injection, request.user, payload.reason, request=request)
    except TreatmentError as error:
        _refused(error)
    return _out(session)


@router.delete("/sessions/{int:session_id}", response={204: None, **refusals(409, 422, 423)}, url_name="discard_session",
               summary="Discard an empty draft session",
               description="Only a draft with nothing recorded (no injections, NRS, adverse events, follow-ups or "
                           "notes): 422 otherwise, 409 once signed.")
def discard_session(request, session_id: int):
    session = _session(request, session_id)
    try:
        discard_draft(session, request.user, request=request)
    except TreatmentError as error:
        _refused(error)
    return Status(204, None)


@router.post("/sessions/{int:session_id}/sign", response={200: SessionOut, **refusals(403, 409, 423)}, url_name="sign_session", summary="Sign a session")
def sign_session(request, session_id: int):
    session = _session(request, session_id)
    try:
        sign(session, request.user, request=request)
    except TreatmentError as error:
        _refused(error)
    return _out(session)


@router.post("/sessions/{int:session_id}/amendments", response={201: AmendmentCreatedOut, **refusals(403, 409, 423)},
             url_name="create_amendment",
             summary="Amend a signed session (reason and text)")
def create_amendment(request, session_id: int, payload: AmendmentIn):
    session = _session(request, session_id)
    try:
        amendment = amend(session, request.user, payload.reason, payload.text, request=request)
    except TreatmentError as error:
        _refused(error)
    return Status(201, {"id": amendment.pk, "reason": amendment.reason, "text": amendment.text,
                        "content_hash": amendment.content_hash})
