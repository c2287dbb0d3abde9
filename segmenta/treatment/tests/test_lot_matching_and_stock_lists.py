"""What a pharmacist checks in the stock: a recall finds a lot however its number was typed
(case and spaces, as receiving stores it), the lot typed on an injection is found the same
way, and the lists are right at their boundaries (expiring today and in exactly 60 days,
low at the threshold, expired units never counted as usable)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from segmenta.conftest import make_patient
from segmenta.treatment import stock
from segmenta.treatment.emergency import lot_injections
from segmenta.treatment.models import Injection, Lot, Product, Session, WriteOff
from segmenta.treatment.stockroom import StockError, choose_lot, in_stock, recall, shelf

TODAY = timezone.localdate()


def ampoules(clinic, name="Procaine 1 % 2 mL ampoule", **extra):
    return Product.objects.create(clinic=clinic, name=name, drug="procaine", concentration_percent=1,
                                  unit_volume_ml=2, units_per_pack=10, **extra)


def lot_of(product, number, days=365, units=10):
    return Lot.objects.create(clinic=product.clinic, product=product, number=number, quantity_received=units,
                              expiry=TODAY + timedelta(days=days), received_on=TODAY - timedelta(days=400))


def typed(patient, doctor, number, product=None):
    """An injection whose lot was typed by hand (an import, or before the stock was kept)."""
    session = Session.objects.create(patient=patient, practitioner=doctor,
                                     started_at=timezone.now() - timedelta(days=3))
    return Injection.objects.create(session=session, order=1, time=session.started_at, target="wheal",
                                    concentration_percent=1, volume_ml=1, verdict="ok", mg=10, cumulative_mg=10,
                                    product=product, lot=number)


def test_a_lot_number_is_compared_without_case_or_spaces():
    assert stock.lot_key(" ab 12-3\t") == "AB12-3"
    assert stock.lot_key(None) == ""


def test_the_recall_finds_a_lot_typed_with_spaces_in_one_query(clinic, doctor):
    product = ampoules(clinic)
    lot = lot_of(product, "AB123")  # the receive form stores it so
    spaced = typed(make_patient(clinic, "Leer"), doctor, "ab 123", product)
    plain = typed(make_patient(clinic, "Klein"), doctor, " ab123 ")
    typed(make_patient(clinic, "Anders"), doctor, "AB 1234", product)
    with CaptureQueriesContext(connection) as queries:
        found = {i.pk for i in recall(lot)}
    assert found == {spaced.pk, plain.pk} and len(queries) == 1
    # The lot search on the products page agrees.
    assert {i.pk for i in lot_injections(doctor, "AB 123")} == {spaced.pk, plain.pk}


def test_the_recall_finds_a_lot_typed_with_a_tab_or_a_non_breaking_space(clinic, doctor):
    # Lot numbers pasted from a supplier's PDF or a spreadsheet bring other spaces than " ":
    # the database must take out the same spaces as the receive form does.
    product = ampoules(clinic)
    lot = lot_of(product, stock.lot_key("AB\u00a0123"))
    pasted = typed(make_patient(clinic, "Leer"), doctor, "ab\u00a0123", product)
    tabbed = typed(make_patient(clinic, "Klein"), doctor, "AB\t123", product)
    narrow = typed(make_patient(clinic, "Schmal"), doctor, "AB\u202f123")
    assert lot.number == "AB123"
    assert {i.pk for i in recall(lot)} == {pasted.pk, tabbed.pk, narrow.pk}
    assert {i.pk for i in lot_injections(doctor, "AB123")} == {pasted.pk, tabbed.pk, narrow.pk}
    drawn = {"product": product, "lot": "ab\u00a0123", "time": timezone.now()}
    assert choose_lot(clinic.pk, drawn) == lot


def test_a_lot_search_of_nothing_but_spaces_finds_no_one(doctor_client, clinic, doctor):
    # A zero-width or no-break space survives a form's strip(): as a lot it is no number at
    # all, and must not list every patient whose injection names no lot.
    typed(make_patient(clinic, "Ohne"), doctor, "")
    for blank in ("\u200b", " \u00a0\u200b "):
        assert list(lot_injections(doctor, blank)) == []
        page = doctor_client.get(reverse("treatment:lots"), {"lot": blank})
        assert page.status_code == 400 and "lot" in page.context["form"].errors
        assert "Ohne" not in page.content.decode()


def test_the_lot_search_page_finds_it_too(doctor_client, clinic, doctor):
    product = ampoules(clinic)
    typed(make_patient(clinic, "Leer"), doctor, "AB123", product)
    page = doctor_client.get(reverse("treatment:lots"), {"lot": "ab 123"}).content.decode()
    assert "Leer" in page


def test_a_lot_typed_on_an_injection_with_spaces_draws_from_that_lot(clinic):
    product = ampoules(clinic)
    lot_of(product, "DC5", days=30)
    wanted = lot_of(product, "DC6", days=300)
    drawn = {"product": product, "lot": "dc 6", "time": timezone.now()}
    assert choose_lot(clinic.pk, drawn) == wanted
    assert (drawn["stock_lot"], drawn["lot"], drawn["expiry"]) == (wanted, "DC6", wanted.expiry)
    picked = {"product": product, "stock_lot": wanted, "lot": "Dc 6 ", "time": timezone.now()}
    assert choose_lot(clinic.pk, picked) == wanted


def test_an_expired_lot_typed_by_hand_is_never_drawn(clinic):
    product = ampoules(clinic)
    lot_of(product, "OLD1", days=-1)
    lot_of(product, "NEW1", days=300)
    drawn = {"product": product, "lot": "old 1", "time": timezone.now()}
    with pytest.raises(StockError) as refused:
        choose_lot(clinic.pk, drawn)
    assert refused.value.field == "stock_lot" and "OLD1" in refused.value.message
    assert "stock_lot" not in drawn


def test_the_lists_at_their_boundaries(clinic, doctor):
    today = lot_of(ampoules(clinic, name="Today"), "T-0", days=0, units=3)
    edge = lot_of(ampoules(clinic, name="Edge"), "E-60", days=stock.EXPIRING_WITHIN_DAYS)
    later = lot_of(ampoules(clinic, name="Later"), "L-61", days=stock.EXPIRING_WITHIN_DAYS + 1)
    gone = lot_of(ampoules(clinic, name="Gone", low_stock_units=1), "G-1", days=-1, units=50)
    at = ampoules(clinic, name="At threshold", low_stock_units=4)
    lot_of(at, "A-1", units=6)
    WriteOff.objects.create(clinic=clinic, lot=at.lots.get(), units=2, reason="broken", written_off_by=doctor)
    under = ampoules(clinic, name="Under threshold", low_stock_units=4)
    lot_of(under, "U-1", units=5)
    WriteOff.objects.create(clinic=clinic, lot=under.lots.get(), units=2, reason="broken", written_off_by=doctor)
    ampoules(clinic, name="Retired", low_stock_units=100, active=False)
    found = shelf(clinic)
    # Usable on its expiry day, so listed as expiring, not expired; 60 days ahead still listed.
    assert [lot.number for lot in found["expiring"]] == [today.number, edge.number]
    assert [lot.number for lot in found["expired"]] == [gone.number]
    assert later.number not in {lot.number for lot in found["expiring"] + found["expired"]}
    # 4 left of a threshold of 4 is not low; 3 is; 50 expired units count for nothing; a
    # retired product is never listed.
    assert sorted(p.name for p in found["low"]) == ["Gone", "Under threshold"]
    usable = {p.name: p.usable for p in found["products"]}
    assert (usable["Today"], usable["Gone"], usable["At threshold"], usable["Under threshold"]) == (3, 0, 4, 3)
    # The lot expiring today can still be drawn; the one expired yesterday cannot.
    offered = {lot.number for lot in in_stock(clinic.pk)}
    assert today.number in offered and gone.number not in offered


def test_another_clinics_stock_is_neither_shown_nor_touched(doctor_client, clinic, other_clinic):
    theirs = ampoules(other_clinic, name="Theirs")
    lot = lot_of(theirs, "F-1")
    assert doctor_client.get(reverse("treatment:stock_lot", args=[lot.pk])).status_code == 404
    response = doctor_client.post(reverse("treatment:stock_write_off", args=[lot.pk]),
                                  {"units": "1", "reason": "broken"})
    assert response.status_code == 404 and not WriteOff.objects.exists()
    assert "F-1" not in doctor_client.get(reverse("treatment:stock")).content.decode()
    # Their product is no choice when receiving: refused beside the field, nothing added.
    ampoules(clinic)
    response = doctor_client.post(reverse("treatment:stock_receive"), {
        "product": theirs.pk, "number": "F-1", "expiry": (TODAY + timedelta(days=300)).isoformat(),
        "quantity_received": "5", "received_on": TODAY.isoformat(), "token": "6f1c2b1e-8f0c-4a57-9d4e-0d3c0f6b9a11"})
    assert response.status_code == 400 and list(response.context["form"].errors) == ["product"]
    lot.refresh_from_db()
    assert lot.quantity_received == 10 and not Lot.objects.filter(clinic=clinic).exists()


def test_a_lot_of_a_retired_product_is_not_drawn_even_when_picked(clinic):
    product = ampoules(clinic)
    lot = lot_of(product, "R-1")
    product.active = False
    product.save()
    with pytest.raises(StockError) as refused:
        choose_lot(clinic.pk, {"stock_lot": lot, "time": timezone.now()})
    assert refused.value.field == "stock_lot" and "retired" in refused.value.message
    assert lot.number not in {found.number for found in in_stock(clinic.pk)}


def test_the_lot_api_refuses_a_lot_of_nothing_but_spaces_naming_it(api_client, clinic, doctor):
    typed(make_patient(clinic, "Ohne"), doctor, "")
    for blank in ("\u200b", " \u00a0\u200b "):
        response = api_client.get("/api/v1/lots", {"lot": blank})
        assert response.status_code == 422 and "lot" in response.content.decode()
        assert "Ohne" not in response.content.decode()
