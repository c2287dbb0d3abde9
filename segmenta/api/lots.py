"""/api/v1/lots: which patients got a lot (recalls), within the token user's clinics."""

from datetime import date, datetime
from typing import Optional

from django.db import transaction
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from segmenta.treatment.emergency import audit_lot_search, lot_injections
from segmenta.treatment.models import Product

from .errors import refusals
from .schemas import Out

router = Router(tags=["lots"])


class LotFilters(Schema):
    lot: str = Field(..., min_length=1, max_length=40, description="The lot number as printed; case is ignored.")
    product: Optional[int] = Field(None, ge=1, le=2**31 - 1, description="Only injections of this product")
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=10**9)


class LotProductOut(Out):
    id: int
    name: str
    drug: str
    concentration_percent: str
    preservative: bool
    multi_dose: bool


class LotInjectionOut(Out):
    patient: int
    patient_name: str
    birth_date: date
    session: int
    session_started_at: datetime
    injection: int
    order: int
    time: datetime
    target: str
    drug: str
    concentration_percent: str
    volume_ml: str
    product: Optional[LotProductOut]
    lot: str
    expiry: Optional[date]


class LotResultOut(Out):
    count: int
    items: list[LotInjectionOut]


def _out(injection):
    patient, product = injection.session.patient, injection.product
    return {
        "patient": patient.pk, "patient_name": f"{patient.family_name}, {patient.given_name}",
        "birth_date": patient.birth_date, "session": injection.session_id,
        "session_started_at": injection.session.started_at, "injection": injection.pk, "order": injection.order,
        "time": injection.time, "target": injection.target, "drug": injection.drug,
        "concentration_percent": str(injection.concentration_percent), "volume_ml": str(injection.volume_ml),
        "product": None if product is None else {
            "id": product.pk, "name": product.name, "drug": product.drug,
            "concentration_percent": str(product.concentration_percent), "preservative": product.preservative,
            "multi_dose": product.multi_dose},
        "lot": injection.lot, "expiry": injection.expiry,
    }


@router.get("", response={200: LotResultOut, **refusals(404)}, summary="Injections from a lot, with their patients (recall)")
def lot_search(request, filters: Query[LotFilters]):
    lot = filters.lot.strip()
    if not lot:
        raise HttpError(422, "lot: must not be blank")
    product = None
    if filters.product is not None:
        product = Product.objects.filter(pk=filters.product, clinic__memberships__user=request.user).first()
        if product is None:
            raise HttpError(404, "product: not found")
    found = lot_injections(request.user, lot, product)
    with transaction.atomic():
        page = list(found[filters.offset:filters.offset + filters.limit])
        audit_lot_search(request, page, lot, user=request.user)
    return {"count": found.count(), "items": [_out(i) for i in page]}
