"""/api/v1/lots: which patients got a lot (recalls), within the token user's clinics; and
/api/v1/lots/stock: the lots on the shelf, with what is left of each."""

from datetime import date, datetime
from typing import Optional

from django.db import transaction
from django.db.models import Count, Window
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from segmenta.accounts.access import clinics_of
from segmenta.treatment.emergency import audit_lot_search, lot_injections
from segmenta.treatment.models import Lot, Product
from segmenta.treatment.stock import lot_key
from segmenta.treatment.stockroom import balances

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
    unit_price: Optional[str] = Field(None, description="What one ampoule or vial cost the practice, in the "
                                                         "clinic's currency (two decimals); null: not entered")


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
    stock_lot: Optional[int] = Field(None, description="id of the lot in stock it was drawn from, if any")
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
            "multi_dose": product.multi_dose,
            "unit_price": None if product.unit_price is None else str(product.unit_price)},
        "stock_lot": injection.stock_lot_id, "lot": injection.lot, "expiry": injection.expiry,
    }


@router.get("", url_name="lot_search", response={200: LotResultOut, **refusals(404)}, summary="Injections from a lot, with their patients (recall)")
def lot_search(request, filters: Query[LotFilters]):
    lot = filters.lot.strip()
    if not lot_key(lot):  # blank, or only spaces of any kind (tab, no-break, zero-width)
        raise HttpError(422, "lot: must not be blank")
    product = None
    if filters.product is not None:
        product = Product.objects.filter(pk=filters.product, clinic__memberships__user=request.user).first()
        if product is None:
            raise HttpError(404, "product: not found")
    found = lot_injections(request.user, lot, product)
    with transaction.atomic():
        # One query answers the recall: the page of injections with their patients, and
        # the total beside each row (a window count), so no second query counts them.
        page = list(found.annotate(total=Window(Count("id")))[filters.offset:filters.offset + filters.limit])
        audit_lot_search(request, page, lot, user=request.user)
    # Past the last row the page is empty and cannot carry the total: only then count.
    count = page[0].total if page else (found.count() if filters.offset else 0)
    return {"count": count, "items": [_out(i) for i in page]}


class StockLotOut(Out):
    id: int
    product: int
    product_name: str
    number: str
    expiry: date
    quantity_received: int
    received_on: date
    drawn: str = Field(..., description="units drawn by injections (a multi-dose vial by volume)")
    written_off: str
    on_hand: str
    state: str = Field(..., description="ok, expiring (within the stock list's horizon) or expired")


class StockFilters(Schema):
    product: Optional[int] = Field(None, ge=1, le=2**31 - 1, description="Only lots of this product")
    clinic: Optional[int] = Field(None, ge=1, le=2**31 - 1, description="Your clinic's id, if you belong to several")


@router.get("/stock", url_name="stock_lots", response={200: list[StockLotOut], **refusals(404)},
            summary="Lots on the shelf with what is left of each (an injection's stock_lot is one of these ids)")
def stock_lots(request, filters: Query[StockFilters]):
    clinics = clinics_of(request.user)
    clinic = (clinics.filter(pk=filters.clinic) if filters.clinic else clinics.order_by("name")).first()
    if clinic is None:
        raise HttpError(404, "clinic: not found")
    lots = Lot.objects.filter(clinic=clinic).select_related("product")
    if filters.product is not None:
        lots = lots.filter(product=filters.product)
    return [{"id": lot.pk, "product": lot.product_id, "product_name": lot.product.name, "number": lot.number,
             "expiry": lot.expiry, "quantity_received": lot.quantity_received, "received_on": lot.received_on,
             "drawn": str(lot.drawn), "written_off": str(lot.written_off), "on_hand": str(lot.on_hand),
             "state": lot.state} for lot in balances(lots, clinic.pk) if lot.on_hand > 0]
