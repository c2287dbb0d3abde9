"""The stock in the browser: receiving a delivery, and an injection that draws from a lot,
filled in as a person would, then checked in the database."""

from datetime import timedelta

import pytest
from django.utils import timezone

from segmenta.accounts.models import TrainingRecord
from segmenta.conftest import browser_login, complete_chart
from segmenta.knowledge import vocabulary
from segmenta.patients import models as pm
from segmenta.treatment.models import Delivery, Injection, Lot, Product, WriteOff
from segmenta.treatment.stockroom import balances

pytestmark = pytest.mark.browser

TODAY = timezone.localdate()


def left(lot):
    (counted,) = balances([Lot.objects.select_related("product").get(pk=lot.pk)], lot.clinic_id)
    return counted.on_hand


def test_receiving_stock_and_writing_off_a_broken_ampoule(page, settings, doctor, clinic):
    settings.SEGMENTA_REQUIRE_MFA = False
    Product.objects.create(clinic=clinic, name="Procaine 1 % 2 mL ampoule", drug="procaine",
                           concentration_percent=1, unit_volume_ml=2, units_per_pack=10, low_stock_units=30)
    browser_login(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Stock").click()
    page.get_by_role("link", name="Receive stock").click()
    page.get_by_label("Product").select_option(label="Procaine 1 % 2 mL ampoule")
    page.get_by_label("Lot number").fill("p2417")
    expiry = TODAY + timedelta(days=45)
    page.get_by_label("Expiry").fill(expiry.isoformat())
    page.get_by_label("Units received").fill("20")
    page.get_by_role("button", name="Receive").click()
    page.wait_for_url("**/stock/")
    lot = Lot.objects.get()
    assert (lot.number, lot.expiry, lot.quantity_received, lot.received_on, lot.received_by) == (
        "P2417", expiry, 20, TODAY, doctor)
    # 20 is below the threshold of 30, and 45 days lie within the 60.
    assert "Procaine 1 % 2 mL ampoule" in page.locator("#low-stock").inner_text()
    assert "P2417" in page.locator("#expiring").inner_text()

    page.locator("#on-hand").get_by_role("link", name="P2417").click()
    page.get_by_label("Units").fill("1")
    page.get_by_label("Reason").select_option(label="Broken or damaged")
    page.get_by_label("Note").fill("Dropped while unpacking")
    page.get_by_role("button", name="Write off").click()
    page.wait_for_url(f"**/stock/lots/{lot.pk}/")
    write_off = WriteOff.objects.get()
    assert (write_off.lot, write_off.units, write_off.reason, write_off.written_off_by) == (lot, 1, "broken", doctor)
    assert left(lot) == 19


def test_an_injection_draws_from_the_lot_expiring_first_of_the_product_picked(page, settings, doctor, patient, clinic):
    settings.SEGMENTA_REQUIRE_MFA = False
    TrainingRecord.objects.create(profile=doctor.profile, course="Basic", provider="Society", date="2020-01-01",
                                  hours=40, techniques=vocabulary.codes("injection_target"))
    pm.WeightMeasurement.objects.create(patient=patient, date=TODAY, weight_kg=70)
    complete_chart(patient, doctor)
    ampoule = Product.objects.create(clinic=clinic, name="Procaine 1 % 2 mL ampoule", drug="procaine",
                                     concentration_percent=1, unit_volume_ml=2)
    lido = Product.objects.create(clinic=clinic, name="Lidocaine 1 % 5 mL ampoule", drug="lidocaine",
                                  concentration_percent=1, unit_volume_ml=5)
    made = {"clinic": clinic, "quantity_received": 10, "received_on": TODAY}
    later = Lot.objects.create(product=ampoule, number="LATE-9", expiry=TODAY + timedelta(days=700), **made)
    sooner = Lot.objects.create(product=ampoule, number="SOON-1", expiry=TODAY + timedelta(days=90), **made)
    Lot.objects.create(product=ampoule, number="GONE-0", expiry=TODAY - timedelta(days=1), **made)
    Lot.objects.create(product=lido, number="LIDO-1", expiry=TODAY + timedelta(days=30), **made)
    browser_login(page)
    page.goto(f"/patients/{patient.pk}/")
    page.get_by_role("link", name="New session").click()
    page.get_by_role("button", name="Start session").click()
    page.wait_for_url("**/sessions/*/")

    page.get_by_label("Target").select_option("wheal")
    page.locator('.bodymap.selectable path[data-choir="107"]').click()
    page.get_by_label("Product").select_option(label="Procaine 1 % 2 mL ampoule")
    lots = page.get_by_label("Drawn from")
    # Only the picked product's lots in stock, the one expiring first proposed; the expired
    # lot is not offered at all.
    assert lots.input_value() == str(sooner.pk)
    shown = [text.split(" · ")[1] for text in lots.locator("option:not([hidden])").all_inner_texts()[1:]]
    assert shown == ["lot SOON-1", "lot LATE-9"]
    lots.select_option(str(later.pk))
    page.get_by_label("Volume (mL)").fill("0.5")
    page.locator("#verdict.verdict-ok").wait_for()
    page.get_by_role("button", name="Save injection").click()
    page.wait_for_url("**/sessions/*/")
    injection = Injection.objects.get()
    assert (injection.product, injection.stock_lot, injection.lot, injection.expiry) == (
        ampoule, later, "LATE-9", later.expiry)
    assert (left(later), left(sooner)) == (9, 10)


def test_a_receive_form_sent_twice_records_the_delivery_once(page, settings, doctor, clinic):
    settings.SEGMENTA_REQUIRE_MFA = False
    Product.objects.create(clinic=clinic, name="Procaine 1 % 2 mL ampoule", drug="procaine",
                           concentration_percent=1, unit_volume_ml=2, units_per_pack=10)
    browser_login(page)
    page.goto("/stock/receive/")
    page.get_by_label("Product").select_option(label="Procaine 1 % 2 mL ampoule")
    page.get_by_label("Lot number").fill("DC-5")
    expiry = TODAY + timedelta(days=300)
    page.get_by_label("Expiry").fill(expiry.isoformat())
    page.get_by_label("Units received").fill("20")
    # A double click on a slow line: the form's data reaches the server twice before any
    # answer (a browser that drops the first answer still had it sent).
    statuses = page.locator("form:has(#id_number)").evaluate(
        """form => { const data = new FormData(form);
                     const send = () => fetch(location.href, {method: "POST", body: data, redirect: "manual"});
                     return Promise.all([send(), send()]).then(answers => answers.map(a => a.type)); }""")
    assert statuses == ["opaqueredirect", "opaqueredirect"]
    lot = Lot.objects.get()
    assert (lot.number, lot.expiry, lot.quantity_received) == ("DC-5", expiry, 20)
    assert list(Delivery.objects.values_list("lot", "units", "received_by")) == [(lot.pk, 20, doctor.pk)]
    # Then a click as well, and the page it leads to says the delivery was recorded already.
    page.get_by_role("button", name="Receive").click()
    page.wait_for_url("**/stock/")
    page.locator(".message", has_text="recorded already").first.wait_for()
    assert "DC-5" in page.locator("#on-hand").inner_text()
    assert left(lot) == 20 and Delivery.objects.count() == 1


def test_a_lot_delivered_again_is_added_to_and_an_expired_pack_is_refused(page, settings, doctor, clinic):
    settings.SEGMENTA_REQUIRE_MFA = False
    Product.objects.create(clinic=clinic, name="Procaine 1 % 2 mL ampoule", drug="procaine",
                           concentration_percent=1, unit_volume_ml=2, units_per_pack=10)
    expiry = TODAY + timedelta(days=500)
    browser_login(page)

    def receive(number, units, expiry, received_on=None, note=""):
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Stock").click()
        page.get_by_role("link", name="Receive stock").click()
        page.get_by_label("Product").select_option(label="Procaine 1 % 2 mL ampoule")
        page.get_by_label("Lot number").fill(number)
        page.get_by_label("Expiry").fill(expiry.isoformat())
        page.get_by_label("Units received").fill(str(units))
        if received_on:
            page.get_by_label("Received on").fill(received_on.isoformat())
        page.get_by_label("Note").fill(note)
        page.get_by_role("button", name="Receive").click()

    receive("k 20", 10, expiry, received_on=TODAY - timedelta(days=7), note="first box")
    page.wait_for_url("**/stock/")
    # The same lot, typed in lower case without the space, a week later: added to.
    receive("K20", 5, expiry, note="second box")
    page.wait_for_url("**/stock/")
    lot = Lot.objects.get()
    assert (lot.number, lot.quantity_received, lot.received_on) == ("K20", 15, TODAY - timedelta(days=7))
    assert list(Delivery.objects.order_by("id").values_list("lot", "units", "received_on", "received_by", "note")) == [
        (lot.pk, 10, TODAY - timedelta(days=7), doctor.pk, "first box"), (lot.pk, 5, TODAY, doctor.pk, "second box")]
    page.locator("#on-hand").get_by_role("link", name="K20").click()
    deliveries = page.locator("#deliveries").inner_text()
    assert "10 units" in deliveries and "5 units" in deliveries and "second box" in deliveries

    # The same lot with another expiry is a misread pack; a pack expired on arrival goes back.
    receive("K20", 5, expiry + timedelta(days=30))
    page.get_by_text("Lot K20 of this product is on record expiring").wait_for()
    receive("OLD-1", 5, TODAY - timedelta(days=1))
    page.get_by_text("This lot had expired when it was received").wait_for()
    assert page.get_by_label("Expiry").get_attribute("aria-invalid") == "true"
    assert Lot.objects.count() == 1 and Delivery.objects.count() == 2 and left(lot) == 15
