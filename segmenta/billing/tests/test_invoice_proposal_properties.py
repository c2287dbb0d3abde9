"""Properties of every proposal, whatever the session: the total is the sum of the lines, no
pair the schedule excludes is ever billed together for the same area, each line's amount is
its unit fee at the factor times its quantity, and nothing is negative."""

from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from segmenta.billing import engine
from segmenta.knowledge import vocabulary
from segmenta.knowledge.base import load

KB = load()
CODES = KB.all("fee-code")
REGIONS = ["shoulder", "neck", "lower_back", "knee", "abdomen_upper"]

injection = st.fixed_dictionaries(
    {"target": st.sampled_from(vocabulary.codes("injection_target")),
     "regions": st.lists(st.fixed_dictionaries({"region": st.sampled_from(REGIONS),
                                                "side": st.sampled_from(["left", "right", "both", "midline", ""])}),
                         max_size=2),
     "side": st.sampled_from(["", "left", "right"]),
     "volume_ml": st.decimals(min_value=Decimal("0.05"), max_value=Decimal("20"), places=2),
     "concentration_percent": st.sampled_from([Decimal("0.5"), Decimal(1), Decimal(2)]),
     "drug": st.sampled_from(["procaine", "lidocaine"]),
     "product": st.one_of(st.just({}), st.fixed_dictionaries(
         {"name": st.sampled_from(["Procain 1 % 2 ml", "Procain 2 % 5 ml"]),
          "unit_volume_ml": st.sampled_from([Decimal(2), Decimal(5)]),
          "unit_price": st.decimals(min_value=0, max_value=10, places=2)}))})
sessions = st.fixed_dictionaries({"date": st.just("2026-11-25"), "injections": st.lists(injection, max_size=8),
                                  "duration_minutes": st.integers(min_value=1, max_value=120)})
goae_factors = st.dictionaries(st.sampled_from(["266", "267", "268", "490", "491", "493", "497", "498"]),
                               st.decimals(min_value=1, max_value=Decimal("3.5"), places=2), max_size=4)


def _check(proposal, session):
    lines = proposal["lines"]
    assert proposal["total"] == sum((line["amount"] for line in lines), Decimal(0))
    for line in lines:
        assert line["amount"] >= 0 and line["unit_fee"] >= 0 and line["quantity"] >= 1
        if line["factor"] is None:  # an amount, a time unit's rate or a price: the unit fee is in cents
            unit = line["unit_fee"]
        else:  # points × point value × factor, rounded to cents once (GOÄ §5 (1))
            code = KB.get("fee-code", line["fee_code"])
            simple = Decimal(str(code["points"])) * Decimal(str(KB.get("fee-schedule", "goae")["point_value"]))
            unit = (simple * line["factor"]).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        assert line["amount"] == unit * line["quantity"]
    billed = {line["code"] for line in lines}
    by_code = {(c["schedule"], c["code"]): c for c in CODES}
    for code in billed:
        rules = by_code[(proposal["schedule"], code)].get("not_with", [])
        for rule in rules:
            if rule["code"] in billed and rule["scope"] == "session":
                raise AssertionError(f"{code} billed with {rule['code']} in one session")
            if rule["code"] in billed and rule["scope"] == "same_area":
                mine = _areas_of(session, proposal["schedule"], code)
                theirs = _areas_of(session, proposal["schedule"], rule["code"])
                # Both lines stand only when their areas differ: the excluded code kept only other areas.
                assert mine - theirs, f"{code} and {rule['code']} billed for the same areas {mine & theirs}"


def _areas_of(session, schedule, code):
    entry = next(c for c in CODES if c["schedule"] == schedule and c["code"] == code)
    return {area for i in session["injections"] if i["target"] in entry["targets"] for area in engine._areas(i)}


@settings(max_examples=150, deadline=None)
@given(session=sessions, factors=goae_factors)
def test_goae_proposals_add_up_and_never_bill_an_excluded_pair(session, factors):
    _check(engine.propose(session, KB.get("fee-schedule", "goae"), CODES, factors=factors), session)


@settings(max_examples=80, deadline=None)
@given(session=sessions, amount=st.one_of(st.none(), st.decimals(min_value=0, max_value=50, places=2)),
       rate=st.one_of(st.none(), st.decimals(min_value=0, max_value=40, places=2)))
def test_gebueh_and_tarif_590_proposals_add_up(session, amount, rate):
    amounts = {"25.1": amount} if amount is not None else None
    _check(engine.propose(session, KB.get("fee-schedule", "gebueh"), CODES, amounts=amounts), session)
    _check(engine.propose(session, KB.get("fee-schedule", "tarif590"), CODES, rate=rate), session)
