"""The product form in a real browser once lots are on record: ticking “Multi-dose vial” is
refused beside the field, past draws keep their count, and the rest still saves."""

from datetime import timedelta

import pytest
from django.utils import timezone

from segmenta.conftest import browser_login
from segmenta.treatment.models import Lot, Product

pytestmark = pytest.mark.browser

TODAY = timezone.localdate()


def test_multi_dose_cannot_be_ticked_for_a_product_with_lots(page, settings, doctor, clinic):
    settings.SEGMENTA_REQUIRE_MFA = False
    product = Product.objects.create(clinic=clinic, name="Procaine 1 % 2 mL ampoule", drug="procaine",
                                     concentration_percent=1, unit_volume_ml=2, units_per_pack=10)
    Lot.objects.create(clinic=clinic, product=product, number="B-7", quantity_received=10,
                       expiry=TODAY + timedelta(days=400), received_on=TODAY)
    browser_login(page, "doctor")
    page.get_by_role("link", name="Products", exact=True).click()
    page.get_by_role("link", name="Edit Procaine 1 % 2 mL ampoule").click()
    multi_dose = page.get_by_label("Multi-dose vial")
    assert not multi_dose.is_checked()
    multi_dose.check()
    page.get_by_label("Low-stock threshold (units)").fill("12")
    page.get_by_role("button", name="Save product").click()
    page.get_by_text("“Multi-dose vial” cannot change").wait_for()
    product.refresh_from_db()
    assert (product.multi_dose, product.low_stock_units) == (False, None)

    page.get_by_label("Multi-dose vial").uncheck()
    page.get_by_role("button", name="Save product").click()
    page.get_by_text("Product saved.").wait_for()
    product.refresh_from_db()
    assert (product.multi_dose, product.low_stock_units) == (False, 12)
