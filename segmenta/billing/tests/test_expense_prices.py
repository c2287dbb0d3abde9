"""The drug on the invoice at what the practice paid (§10 GOÄ): the product's price per unit
times the units the session used up, counted as the stock counts them — whole single-dose
ampoules per session and lot, a multi-dose vial by the share of its volume drawn. A product
without a price keeps its warning and is never billed as free."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from segmenta.billing import engine
from segmenta.billing.invoices import draft_for_session
from segmenta.billing.proposal import propose_invoice
from segmenta.billing.tests.making import billing_settings
from segmenta.knowledge.base import load
from segmenta.treatment.models import Injection, Lot, Product, Session
from segmenta.treatment.sessions import sign
from segmenta.treatment.stockroom import balances

START = datetime.datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
NO_PRICE = "no price recorded for the product"


@pytest.fixture
def german_clinic(clinic):
    clinic.jurisdiction = "DE"
    clinic.save()
    return clinic


def product_with_lot(clinic, name, *, unit_volume, price, multi_dose=False):
    product = Product.objects.create(clinic=clinic, name=name, drug="procaine", concentration_percent=1,
                                     multi_dose=multi_dose, preservative=multi_dose, units_per_pack=10,
                                     unit_volume_ml=Decimal(unit_volume),
                                     unit_price=None if price is None else Decimal(price))
    lot = Lot.objects.create(clinic=clinic, product=product, number="A1", expiry=datetime.date(2028, 3, 31),
                             quantity_received=10, received_on=datetime.date(2026, 11, 1))
    return product, lot


def session_drawing(patient, user, lot, volumes, target="wheal"):
    """A signed session whose injections of ``volumes`` (mL) are drawn from ``lot``."""
    session = Session.objects.create(patient=patient, started_at=START, practitioner=user)
    regions = ["shoulder", "neck", "lower_back", "knee"]
    for order, volume in enumerate(volumes, start=1):
        Injection.objects.create(session=session, order=order, time=START.replace(minute=order * 3), target=target,
                                 regions=[{"region": regions[order - 1], "side": "right"}], side="",
                                 drug="procaine", concentration_percent=1, volume_ml=Decimal(volume),
                                 mg=Decimal(volume) * 10, cumulative_mg=0, verdict="ok", product=lot.product,
                                 stock_lot=lot, lot=lot.number, expiry=lot.expiry)
    sign(session, user)
    session.refresh_from_db()
    return session


def expense(proposal):
    found = [line for line in proposal["lines"] if line["is_expense"]]
    assert len(found) == 1, proposal["lines"]
    return found[0]


def drawn(lot):
    return balances(Lot.objects.filter(pk=lot.pk).select_related("product"), lot.clinic_id)[0].drawn


def test_two_wheals_from_one_single_dose_ampoule_are_charged_one_ampoule(german_clinic, doctor, patient):
    _product, lot = product_with_lot(german_clinic, "Procain 1 % 2 ml Ampulle", unit_volume="2", price="1.85")
    session = session_drawing(patient, doctor, lot, ["0.5", "0.5"])
    proposal = propose_invoice(session)
    drug = expense(proposal)
    # 1 mL of a 2 mL ampoule: the ampoule is opened for this patient and the rest discarded.
    assert drug["code"] == "§10" and drug["quantity"] == 1
    assert drug["unit_fee"] == Decimal("1.85") and drug["amount"] == Decimal("1.85")
    assert drawn(lot) == drug["quantity"], "the invoice and the stock must count the same ampoules"
    assert not any(NO_PRICE in warning for warning in proposal["warnings"])
    assert proposal["total"] == sum(line["amount"] for line in proposal["lines"])


def test_a_session_needing_more_than_one_ampoule_pays_each(german_clinic, doctor, patient):
    _product, lot = product_with_lot(german_clinic, "Procain 1 % 2 ml Ampulle", unit_volume="2", price="1.85")
    session = session_drawing(patient, doctor, lot, ["1.5", "1.5"], target="scar")
    drug = expense(propose_invoice(session))
    assert drug["quantity"] == 2 == drawn(lot) and drug["amount"] == Decimal("3.70")


def test_a_multi_dose_vial_is_charged_by_the_share_of_its_volume(german_clinic, doctor, patient):
    _product, lot = product_with_lot(german_clinic, "Procain 1 % 50 ml Durchstechflasche", unit_volume="50",
                                     price="12.40", multi_dose=True)
    session = session_drawing(patient, doctor, lot, ["2", "3"], target="scar")
    proposal = propose_invoice(session)
    drug = expense(proposal)
    # 5 mL of 50 mL is a tenth of the vial: 1.24 of 12.40, on one line.
    assert drug["quantity"] == 1 and drug["amount"] == Decimal("1.24") and drug["unit_fee"] == Decimal("1.24")
    assert "0.1 of a 50 mL vial" in drug["description"]
    assert drawn(lot) == Decimal("0.1")
    assert not any(NO_PRICE in warning for warning in proposal["warnings"])


def test_an_unknown_price_still_warns_and_is_not_billed_as_free(german_clinic, doctor, patient):
    _product, lot = product_with_lot(german_clinic, "Procain 1 % 2 ml Ampulle", unit_volume="2", price=None)
    session = session_drawing(patient, doctor, lot, ["0.5", "0.5"])
    proposal = propose_invoice(session)
    drug = expense(proposal)
    assert drug["amount"] == Decimal("0.00")
    assert [w for w in proposal["warnings"] if w.startswith("§10 Procain 1 % 2 ml Ampulle") and NO_PRICE in w]


def test_a_price_of_zero_is_a_price_and_does_not_warn(german_clinic, doctor, patient):
    _product, lot = product_with_lot(german_clinic, "Procain 1 % 2 ml Muster", unit_volume="2", price="0")
    proposal = propose_invoice(session_drawing(patient, doctor, lot, ["0.5"]))
    assert expense(proposal)["amount"] == Decimal("0.00")
    assert not any(NO_PRICE in warning for warning in proposal["warnings"])


def test_the_draft_invoice_carries_the_drug_at_its_price(german_clinic, doctor, patient):
    billing_settings(german_clinic)
    _product, lot = product_with_lot(german_clinic, "Procain 1 % 2 ml Ampulle", unit_volume="2", price="1.85")
    invoice, created = draft_for_session(session_drawing(patient, doctor, lot, ["0.5", "0.5"]), doctor)
    assert created
    drug = invoice.lines.get(is_expense=True)
    assert (drug.code, drug.quantity, drug.unit_fee, drug.amount) == ("§10", 1, Decimal("1.85"), Decimal("1.85"))
    assert not any(NO_PRICE in warning for warning in invoice.warnings)
    # The invoice names what the expense was (§12 (2) GOÄ): the product, how much, which lot.
    assert drug.description.endswith(": Procain 1 % 2 ml Ampulle, 1 mL, lot A1"), drug.description


@pytest.mark.parametrize("language, used", [
    ("de", "Procain 1 % 50 ml Durchstechflasche, 2,5 mL, 0,05 einer 50-mL-Durchstechflasche, Charge A1"),
    ("es", "Procain 1 % 50 ml Durchstechflasche, 2,5 mL, 0,05 de un vial de 50 mL, lote A1")])
def test_the_drug_line_of_an_invoice_is_written_in_the_patients_language(german_clinic, doctor, patient,
                                                                          language, used):
    billing_settings(german_clinic)
    patient.language = language
    patient.save()
    _product, lot = product_with_lot(german_clinic, "Procain 1 % 50 ml Durchstechflasche", unit_volume="50",
                                     price="12.40", multi_dose=True)
    invoice, _created = draft_for_session(session_drawing(patient, doctor, lot, ["1", "1.5"], target="scar"), doctor)
    assert invoice.lines.get(is_expense=True).description.endswith(": " + used)


# --- the engine alone, with plain data ---------------------------------------------------

KB = load()


def propose(injections, schedule="goae"):
    session = {"date": "2026-11-25", "duration_minutes": 20, "injections": [
        {"target": "wheal", "regions": [{"region": "neck", "side": "right"}], "drug": "procaine",
         "concentration_percent": Decimal(1), "volume_ml": Decimal(volume), "product": product}
        for volume, product in injections]}
    return engine.propose(session, KB.get("fee-schedule", schedule), KB.all("fee-code"), rate="10")


AMPOULE = {"name": "Procain 1 % 2 ml", "unit_volume_ml": Decimal(2), "unit_price": Decimal("1.85")}


def test_ampoules_of_two_lots_in_one_session_are_counted_apart():
    drug = expense(propose([("0.5", {**AMPOULE, "lot": "A1"}), ("0.5", {**AMPOULE, "lot": "B2"})]))
    assert drug["quantity"] == 2 and drug["amount"] == Decimal("3.70") and "lot A1, B2" in drug["description"]


def test_a_price_without_a_unit_volume_charges_one_unit_and_says_so():
    proposal = propose([("3", {"name": "Procain 1 %", "unit_price": Decimal("2.10")})])
    assert expense(proposal)["quantity"] == 1 and expense(proposal)["amount"] == Decimal("2.10")
    assert any("volume per unit is not recorded" in warning for warning in proposal["warnings"])


@pytest.mark.parametrize("schedule", ["gebueh", "tarif590"])
def test_the_other_schedules_price_their_expense_line_the_same_way(schedule):
    vial = {"name": "Procain 1 % 50 ml", "unit_volume_ml": Decimal(50), "unit_price": Decimal("12.40"),
            "multi_dose": True}
    proposal = propose([("5", vial)], schedule)
    assert expense(proposal)["amount"] == Decimal("1.24")
    assert not any(NO_PRICE in warning for warning in proposal["warnings"])


def test_a_negative_price_is_refused():
    with pytest.raises(engine.EngineError) as refused:
        propose([("1", {**AMPOULE, "unit_price": Decimal("-1")})])
    assert refused.value.field == "product.unit_price"


def test_a_line_without_a_price_is_not_called_verified():
    """The §10 code itself is verified, but an amount of 0 waiting for the practice's price was read
    in no source: the line says priced false and verified false, not a verified 0.00."""
    drug = expense(propose([("1", {"name": "Procain 1 %", "unit_volume_ml": Decimal(2)})]))
    assert drug["amount"] == 0 and drug["priced"] is False and drug["verified"] is False
    priced = expense(propose([("1", AMPOULE)]))
    assert priced["priced"] is True and priced["verified"] is True
