"""/api/v1/sessions/{id}/invoice-proposal: the invoice a signed session proposes."""

from typing import Literal, Optional

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Router
from ninja.errors import HttpError

from segmenta.accounts.access import outcome_clinics
from segmenta.audit.trail import record
from segmenta.billing import engine
from segmenta.billing.proposal import ProposalRefused, propose_invoice
from segmenta.treatment.models import Session

from . import schemas
from .errors import FieldErrors, refusals

router = Router(tags=["invoices"])


class ProposalLineOut(schemas.Out):
    code: str = Field(..., description="The schedule's code (`266`, `§10` …)")
    description: str = Field(..., description="What the code is for, in English")
    quantity: int
    factor: Optional[float] = Field(..., description="The multiplier (GOÄ); null where the schedule has none")
    amount: float = Field(..., description="quantity × the fee of one unit at the factor, in the currency")
    unit_fee: float = Field(..., description="One unit's fee at factor 1 (points × point value), or its price")
    threshold: Optional[float] = Field(..., description="Above this factor the invoice must justify it in writing")
    ceiling: Optional[float] = Field(..., description="The highest factor the schedule allows")
    is_expense: bool = Field(..., description="The drug or product used, at cost")
    justification_required: bool
    verified: bool = Field(..., description="Number, wording and value were read in the knowledge base's sources "
                                            "(false for a line still without its price)")
    fee_code: str = Field(..., description="The knowledge base's fee-code entry")
    priced: bool = Field(..., description="False while the data names no price for the line: its amount is 0 "
                                          "until the practice enters one (a warning says so)")


class ProposalOut(schemas.Out):
    schedule: Literal["goae", "gebueh", "tarif590"]
    currency: Literal["EUR", "CHF"]
    date: str = Field(..., description="The session's date (ISO 8601)")
    lines: list[ProposalLineOut]
    total: float
    warnings: list[str] = Field(..., description="What the practitioner must check or enter before issuing")
    knowledge_version: str


def _billing_staff(request, session):
    """Invoices are for the clinic's practitioners and admins, as the invoice pages are: an
    assistant who may read the session is refused (403), not shown its fees."""
    if not outcome_clinics(request.user).filter(pk=session.clinic_id).exists():
        raise HttpError(403, "only the clinic's practitioners and admins may read invoices")


@router.get("/sessions/{int:session_id}/invoice-proposal", response={200: ProposalOut, **refusals(403, 409)},
            url_name="invoice_proposal", summary="The invoice a signed session proposes",
            description="Lines by the fee schedule of the clinic's jurisdiction and the practitioner's verified "
                        "profession (GOÄ, GebüH, Tarif 590), amounts with two decimals. 409 while the session is "
                        "a draft; 422 where no schedule applies. `segmenta invoice propose` prints the same.")
def invoice_proposal(request, session_id: int):
    session = get_object_or_404(Session.objects.visible_to(request.user).select_related(
        "patient", "patient__clinic", "practitioner__profile", "signed_by__profile"), pk=session_id)
    _billing_staff(request, session)
    try:
        proposal = propose_invoice(session)
    except ProposalRefused as refused:
        if refused.status == 409:
            raise HttpError(409, f"{refused.field}: {refused.message}") from None
        raise FieldErrors([{"field": refused.field, "message": refused.message}]) from None
    record("view", request=request, patient=session.patient, obj=session,
           detail={"api": True, "invoice_proposal": proposal["schedule"]})
    return HttpResponse(engine.to_json(proposal), content_type="application/json")
