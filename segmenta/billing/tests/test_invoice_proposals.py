"""Worked sessions priced by each fee schedule: GOÄ with wheals, a stellate block and a scar,
the exclusion of 266 beside 490 for the same area, a factor above the threshold, a
Heilpraktiker's wheals by the GebüH, a Swiss session with its product declared; and the
refusals (a draft, no schedule for the clinic and profession)."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from segmenta.billing import engine
from segmenta.billing.proposal import ProposalRefused, propose_invoice
from segmenta.conftest import make_patient, make_user
from segmenta.knowledge.base import load
from segmenta.treatment.models import Injection, Product, Session
from segmenta.treatment.sessions import sign

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN)


def signed_session(patient, user, injections, *, signed=True):
    """A session of ``user`` with ``injections`` ((target, regions, side, volume, product) …)."""
    session = Session.objects.create(patient=patient, started_at=START, practitioner=user)
    for order, (target, regions, side, volume, product) in enumerate(injections, start=1):
        Injection.objects.create(session=session, order=order, time=START.replace(minute=order * 3), target=target,
                                 regions=regions, side=side, drug="procaine", concentration_percent=1,
                                 volume_ml=volume, mg=Decimal(volume) * 10, cumulative_mg=0, verdict="ok",
                                 product=product, lot="L42" if product else "")
    if signed:
        sign(session, user)
        session.refresh_from_db()
    return session


def line(proposal, code):
    found = [item for item in proposal["lines"] if item["code"] == code]
    assert len(found) == 1, f"expected one line {code}, got {[i['code'] for i in proposal['lines']]}"
    return found[0]


def simple_fee(code):
    """A GOÄ code's simple fee from the data (points × point value), to check the arithmetic against."""
    kb = load()
    return Decimal(str(kb.get("fee-code", f"goae.{code}")["points"])) * Decimal(
        str(kb.get("fee-schedule", "goae")["point_value"]))


@pytest.fixture
def german_clinic(clinic):
    clinic.jurisdiction = "DE"
    clinic.save()
    return clinic


def test_a_goae_session_with_wheals_a_stellate_block_and_a_scar(german_clinic, doctor, patient):
    session = signed_session(patient, doctor, [
        ("wheal", [{"region": "shoulder", "side": "right"}], "", "0.5", None),
        ("wheal", [{"region": "neck", "side": "right"}], "", "0.5", None),
        ("stellate", [], "left", "5", None),
        ("scar", [{"region": "abdomen_upper", "side": "right"}], "", "4", None),
    ])
    proposal = propose_invoice(session)
    assert proposal["schedule"] == "goae" and proposal["currency"] == "EUR"
    assert [item["code"] for item in proposal["lines"]] == ["266", "267", "497", "§10"]
    wheals = line(proposal, "266")
    # Once per session, however many wheals; 60 points at 2.3: 8.04 €, the published fee.
    assert wheals["quantity"] == 1 and wheals["factor"] == Decimal("2.3") and wheals["amount"] == Decimal("8.04")
    assert line(proposal, "267")["amount"] == (simple_fee("267") * Decimal("2.3")).quantize(Decimal("0.01"))
    assert line(proposal, "497")["quantity"] == 1 and not line(proposal, "497")["justification_required"]
    drug = line(proposal, "§10")
    assert drug["is_expense"] and "10 mL" in drug["description"]
    assert proposal["total"] == sum(item["amount"] for item in proposal["lines"])
    assert proposal["date"] == "2026-11-25"


def test_scars_in_two_regions_are_billed_as_268(german_clinic, doctor, patient):
    session = signed_session(patient, doctor, [
        ("scar", [{"region": "abdomen_upper", "side": "right"}], "", "3", None),
        ("scar", [{"region": "knee", "side": "left"}], "", "2", None),
    ])
    codes = [item["code"] for item in propose_invoice(session)["lines"]]
    assert "268" in codes and "267" not in codes


def test_wheals_beside_infiltration_anaesthesia_of_the_same_area_drop_266(german_clinic, doctor, patient):
    session = signed_session(patient, doctor, [
        ("wheal", [{"region": "shoulder", "side": "right"}], "", "0.5", None),
        ("trigger_point", [{"region": "shoulder", "side": "right"}], "", "2", None),
    ])
    proposal = propose_invoice(session)
    codes = [item["code"] for item in proposal["lines"]]
    assert "490" in codes and "266" not in codes
    assert any(w.startswith("Line 266 dropped") and "490" in w and "shoulder, right" in w
               for w in proposal["warnings"])


def test_wheals_elsewhere_keep_266_beside_infiltration_anaesthesia(german_clinic, doctor, patient):
    session = signed_session(patient, doctor, [
        ("wheal", [{"region": "shoulder", "side": "right"}], "", "0.5", None),
        ("wheal", [{"region": "lower_back", "side": "left"}], "", "0.5", None),
        ("trigger_point", [{"region": "shoulder", "side": "right"}], "", "2", None),
    ])
    proposal = propose_invoice(session)
    assert {"266", "490"} <= {item["code"] for item in proposal["lines"]}
    assert any("266 does not cover shoulder, right" in w for w in proposal["warnings"])


def test_a_factor_above_the_threshold_needs_a_written_justification():
    kb = load()
    session = {"date": "2026-11-25", "injections": [{"target": "stellate", "side": "left", "volume_ml": 5}]}
    proposal = engine.propose(session, kb.get("fee-schedule", "goae"), kb.all("fee-code"), factors={"497": "3.0"})
    block = line(proposal, "497")
    assert block["justification_required"] and block["factor"] == Decimal("3.0")
    assert block["amount"] == (simple_fee("497") * 3).quantize(Decimal("0.01"))
    assert any("497: factor 3.0 is above the threshold 2.3" in w for w in proposal["warnings"])
    with pytest.raises(engine.EngineError) as refused:
        engine.propose(session, kb.get("fee-schedule", "goae"), kb.all("fee-code"), factors={"497": "3.6"})
    assert refused.value.field == "factors.497"


def test_a_heilpraktiker_session_is_proposed_by_the_gebueh(german_clinic, patient):
    healer = make_user("healer", german_clinic, "practitioner", "heilpraktiker")
    session = signed_session(patient, healer, [
        ("wheal", [{"region": "lower_back", "side": "left"}], "", "0.5", None),
        ("wheal", [{"region": "lower_back", "side": "right"}], "", "0.5", None),
    ])
    proposal = propose_invoice(session)
    assert proposal["schedule"] == "gebueh"
    wheals = proposal["lines"][0]
    assert wheals["fee_code"] == "gebueh.25.1" and not wheals["verified"] and wheals["factor"] is None
    # The GebüH's range for it could not be verified: no amount is guessed, the warning says so.
    assert wheals["amount"] == Decimal("0.00")
    assert any("enter the practice's fee" in w for w in proposal["warnings"])


def test_a_practice_sets_its_gebueh_fee_and_tarif_590_rate_in_the_data():
    kb = load()
    codes = [dict(c) for c in kb.all("fee-code")]
    for code in codes:
        if code["id"] == "gebueh.25.1":
            code["amount"] = {"min": 5, "max": 15, "default": "9.5"}
    session = {"date": "2026-11-25", "injections": [{"target": "wheal", "regions": [{"region": "neck"}]}]}
    proposal = engine.propose(session, kb.get("fee-schedule", "gebueh"), codes)
    assert line(proposal, "25.1")["amount"] == Decimal("9.50")
    with pytest.raises(engine.EngineError):
        engine.propose(session, kb.get("fee-schedule", "gebueh"), codes, amounts={"25.1": "16"})


def test_a_swiss_session_bills_time_units_and_declares_its_product(clinic, patient):
    clinic.jurisdiction = "CH"
    clinic.save()
    therapist = make_user("therapist", clinic, "practitioner", "naturopathic_physician")
    product = Product.objects.create(clinic=clinic, name="Procain 1 % 2 ml Ampulle", drug="procaine",
                                     concentration_percent=1)
    session = signed_session(patient, therapist, [
        ("wheal", [{"region": "neck", "side": "left"}], "", "0.5", product),
        ("wheal", [{"region": "neck", "side": "right"}], "", "0.5", product),
    ])
    proposal = propose_invoice(session)
    assert proposal["schedule"] == "tarif590" and proposal["currency"] == "CHF"
    declared = [item for item in proposal["lines"] if item["is_expense"]]
    assert len(declared) == 1 and "Procain 1 % 2 ml Ampulle" in declared[0]["description"]
    assert "lot L42" in declared[0]["description"]
    time = [item for item in proposal["lines"] if not item["is_expense"]][0]
    assert time["quantity"] >= 1 and time["fee_code"] == "tarif590.neural"
    priced = engine.propose({**engine_data(session), "duration_minutes": 23}, load().get("fee-schedule", "tarif590"),
                            load().all("fee-code"), rate="12.50")
    assert line(priced, "1200")["quantity"] == 5 and line(priced, "1200")["amount"] == Decimal("62.50")


def engine_data(session):
    from segmenta.billing.proposal import session_data

    return session_data(session)


def test_a_draft_session_proposes_no_invoice(german_clinic, doctor, patient):
    session = signed_session(patient, doctor, [("wheal", [], "", "0.5", None)], signed=False)
    with pytest.raises(ProposalRefused) as refused:
        propose_invoice(session)
    assert refused.value.status == 409 and refused.value.field == "session"


@pytest.mark.parametrize("jurisdiction, profession, field", [
    ("CH", "physician", "schedule"), ("AT", "physician", "schedule"), ("", "physician", "jurisdiction"),
    ("DE", "", "profession")])
def test_no_schedule_is_a_clear_refusal(clinic, patient, jurisdiction, profession, field):
    clinic.jurisdiction = jurisdiction
    clinic.save()
    someone = make_user("someone", clinic, "practitioner", profession)
    session = signed_session(patient, someone, [("wheal", [], "", "0.5", None)])
    with pytest.raises(ProposalRefused) as refused:
        propose_invoice(session)
    assert refused.value.field == field and refused.value.status == 422


def test_another_clinics_patient_is_priced_by_its_own_clinic(other_clinic, outsider):
    other_clinic.jurisdiction = "DE"
    other_clinic.save()
    session = signed_session(make_patient(other_clinic), outsider, [("wheal", [], "", "0.5", None)])
    assert propose_invoice(session)["schedule"] == "goae"
