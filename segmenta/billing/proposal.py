"""The invoice a signed session proposes: the Django shell around ``segmenta.billing.engine``.

``propose_invoice(session)`` reads the session's injections, the clinic's jurisdiction and the
verified profession of whoever held the session, picks the fee schedule from the knowledge
base (with the clinic's overrides: a practice enters its own GebüH fees or Tarif 590 rate
there) and returns the engine's answer unchanged. A draft session proposes nothing: what is
billed is what was signed.
"""

from django.utils import timezone

from segmenta.knowledge.service import for_clinic, remember

from . import engine


class ProposalRefused(ValueError):
    """No proposal for this session: ``field`` says what is missing, ``status`` the HTTP answer
    that fits (409 for a draft, 422 for a clinic or practitioner no schedule fits)."""

    def __init__(self, field, message, status=422):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.status = status


def _product(injection):
    """The product as the engine reads it: whether it is a multi-dose vial, its unit volume
    where the product records one, and its price only where one is entered (an empty price
    must reach the engine as unknown, which warns, never as nothing to pay)."""
    found = {}
    product = injection.product
    if product is not None:
        found["name"] = product.name
        found["multi_dose"] = product.multi_dose
        for field in ("unit_volume_ml", "unit_price"):
            value = getattr(product, field)
            if value is not None:
                found[field] = value
    if injection.lot:
        found["lot"] = injection.lot
    return found


def session_data(session):
    """The session in the engine's plain data: its local date and its injections."""
    injections = []
    for item in session.injections.select_related("product").order_by("order", "id"):
        injection = {"target": item.target, "regions": list(item.regions or []), "side": item.side,
                     "drug": item.drug, "concentration_percent": item.concentration_percent.normalize(),
                     "volume_ml": item.volume_ml, "time": timezone.localtime(item.time).isoformat(timespec="minutes")}
        product = _product(item)
        if product:
            injection["product"] = product
        injections.append(injection)
    return {"date": timezone.localtime(session.started_at).date().isoformat(), "injections": injections}


def _profession(session):
    user = session.practitioner or session.signed_by
    profile = getattr(user, "profile", None) if user is not None else None
    return profile.verified_profession if profile is not None else None


def propose_invoice(session):
    """The proposed invoice of a signed ``session``: {"schedule", "currency", "date", "lines",
    "total", "warnings"} with Decimal amounts (``engine.to_json`` writes them). Raises
    ProposalRefused for a draft or where no fee schedule applies."""
    if not session.signed:
        raise ProposalRefused("session", "the session is not signed yet; sign it first, then its invoice can be "
                                         "proposed", status=409)
    clinic = session.patient.clinic
    kb = for_clinic(clinic)
    try:
        schedule = engine.schedule_for(kb.all("fee-schedule"), clinic.jurisdiction, _profession(session))
        proposal = engine.propose(session_data(session), schedule, kb.all("fee-code"))
    except engine.EngineError as error:
        raise ProposalRefused(error.field, error.message) from error
    proposal["knowledge_version"] = remember(kb)
    return proposal
