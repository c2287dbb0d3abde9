"""The price per unit in a real browser: typed into the products page's form when a product
is added, corrected on its edit page, and read back from the database and the list."""

from decimal import Decimal

import pytest

from segmenta.conftest import browser_login
from segmenta.treatment.models import Product

pytestmark = pytest.mark.browser


def test_a_practitioner_enters_and_corrects_a_products_price(page, settings, doctor, clinic):
    settings.SEGMENTA_REQUIRE_MFA = False
    browser_login(page, "doctor")
    page.get_by_role("link", name="Products", exact=True).click()
    page.get_by_label("Name").fill("Procain 1 % 2 mL Ampulle")
    page.get_by_label("Drug").select_option("procaine")
    page.get_by_label("Concentration (%)").fill("1")
    page.get_by_label("Volume per unit (mL)").fill("2")
    page.get_by_label("Price per unit").fill("1.85")
    page.get_by_role("button", name="Add product").click()
    page.get_by_text("Product added.").wait_for()
    product = Product.objects.get()
    assert (product.name, product.unit_volume_ml, product.unit_price, product.multi_dose) == \
        ("Procain 1 % 2 mL Ampulle", Decimal("2.00"), Decimal("1.85"), False)
    row = page.locator("table.products tr", has_text="Procain 1 % 2 mL Ampulle")
    assert "1.85" in row.inner_text()

    page.get_by_role("link", name="Edit Procain 1 % 2 mL Ampulle").click()
    price = page.get_by_label("Price per unit")
    assert price.input_value() == "1.85"
    price.fill("-1")
    page.get_by_role("button", name="Save product").click()
    page.get_by_text("Ensure this value is greater than or equal to 0.").wait_for()
    product.refresh_from_db()
    assert product.unit_price == Decimal("1.85")

    page.get_by_label("Price per unit").fill("2.10")
    page.get_by_role("button", name="Save product").click()
    page.get_by_text("Product saved.").wait_for()
    product.refresh_from_db()
    assert product.unit_price == Decimal("2.10")

    page.get_by_role("link", name="Edit Procain 1 % 2 mL Ampulle").click()
    page.get_by_label("Price per unit").fill("")
    page.get_by_role("button", name="Save product").click()
    page.get_by_text("Product saved.").wait_for()
    product.refresh_from_db()
    assert product.unit_price is None
    assert "not entered" in page.locator("table.products tr", has_text="Procain 1 % 2 mL Ampulle").inner_text()
