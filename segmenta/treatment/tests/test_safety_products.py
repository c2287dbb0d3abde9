"""Products and lots: expired products and preserved or multi-dose products where they can harm."""

import pytest

from .engine import codes, injection, run, verdicts

SINGLE = {"name": "Procaine 1 % 2 mL ampoule", "preservative": False, "multi_dose": False, "lot": "L123",
          "expiry": "2027-06-30"}


def test_an_expired_product_is_blocked():
    result = run([injection(time="2026-11-25T10:00", product={**SINGLE, "expiry": "2026-11-24"})])
    assert verdicts(result) == ["block"] and "product_expired" in codes(result)
    assert verdicts(run([injection(time="2026-11-25T10:00", product={**SINGLE, "expiry": "2026-11-25"})])) == ["ok"]


@pytest.mark.parametrize("target,region", [("ciliary", "eye"), ("paravertebral", "lower_back"),
                                           ("stellate", "neck"), ("ganglion_impar", "sacrum")])
@pytest.mark.parametrize("flag", ["preservative", "multi_dose"])
def test_a_preserved_or_multi_dose_product_is_blocked_near_the_eye_and_the_neuraxis(target, region, flag):
    """Lidocain Streuli SPC: preserved multi-dose vials not retrobulbar, epidural or intrathecal."""
    result = run([injection(target=target, ml=2, region=region, product={**SINGLE, flag: True})])
    assert verdicts(result) == ["block"] and "preserved_product" in codes(result)


def test_a_preserved_product_is_fine_for_a_wheal():
    assert verdicts(run([injection(product={**SINGLE, "preservative": True, "multi_dose": True})])) == ["ok"]


def test_a_product_not_known_to_be_preservative_free_warns_where_it_must_be():
    result = run([injection(target="paravertebral", ml=2, product={"name": "Procaine vial", "lot": "X1"})])
    assert verdicts(result) == ["warn"] and "preservative_unknown" in codes(result)
