"""The stock: balances (single-dose ampoules whole per session, multi-dose vials by volume),
injections drawing from a lot, expired and empty lots refused, the lists (low stock, lots
expiring within 60 days, expired on the shelf), receiving and writing off, and the recall
that answers in one query."""

import json
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from segmenta.accounts.models import TrainingRecord
from segmenta.audit.models import AuditEvent
from segmenta.conftest import complete_chart, make_patient
from segmenta.knowledge import vocabulary
from segmenta.patients import models as pm
from segmenta.treatment import stock
from segmenta.treatment.models import Injection, Lot, Product, Session, WriteOff
from segmenta.treatment.sessions import TreatmentError, add_injection
from segmenta.treatment.stockroom import balances, recall, shelf

TODAY = timezone.localdate()


# --- The rules, as plain arithmetic -------------------------------------------------------

def test_single_dose_ampoules_count_whole_per_session():
    # Two 0.5 mL wheals in one session share one 2 mL ampoule; 2.5 mL in another opens two.
    assert stock.units_drawn(False, 2, [Decimal("1.0"), Decimal("2.5")]) == 3
    assert stock.units_drawn(False, 2, [Decimal("0.5"), Decimal("0.5")]) == 2
    assert stock.units_needed(False, 2, Decimal("0.5"), Decimal("1.0")) == 0  # the open ampoule still holds it
    assert stock.units_needed(False, 2, Decimal("1.5"), Decimal("1.0")) == 1


def test_multi_dose_vials_count_by_volume():
    assert stock.units_drawn(True, 50, [Decimal("5"), Decimal("12.5")]) == Decimal("0.35")
    assert stock.units_needed(True, 50, Decimal("5"), Decimal("5")) == Decimal("0.1")
    assert stock.on_hand(2, Decimal("0.35"), Decimal("0.5")) == Decimal("1.15")


def test_the_lot_proposed_expires_first_and_is_usable():
    lots = [{"expiry": TODAY - timedelta(days=1), "on_hand": 5, "received_on": TODAY},
            {"expiry": TODAY + timedelta(days=10), "on_hand": 0, "received_on": TODAY},
            {"expiry": TODAY + timedelta(days=90), "on_hand": 3, "received_on": TODAY},
            {"expiry": TODAY + timedelta(days=30), "on_hand": 1, "received_on": TODAY}]
    assert stock.proposed(lots, TODAY) is lots[3]
    assert stock.proposed(lots[:2], TODAY) is None


def test_the_shelf_states_around_the_sixty_days():
    assert stock.shelf_state(TODAY - timedelta(days=1), TODAY) == "expired"
    assert stock.shelf_state(TODAY, TODAY) == "expiring"  # usable on its expiry day, as the safety check reads it
    assert stock.shelf_state(TODAY + timedelta(days=stock.EXPIRING_WITHIN_DAYS), TODAY) == "expiring"
    assert stock.shelf_state(TODAY + timedelta(days=stock.EXPIRING_WITHIN_DAYS + 1), TODAY) == "ok"


# --- Drawing on injection ----------------------------------------------------------------

@pytest.fixture
def ready(patient, doctor):
    """A patient the safety check has nothing to warn about, and a doctor trained in everything."""
    TrainingRecord.objects.create(profile=doctor.profile, course="Basic", provider="Society", date="2020-01-01",
                                  hours=40, techniques=vocabulary.codes("injection_target"))
    pm.WeightMeasurement.objects.create(patient=patient, date=TODAY, weight_kg=70)
    complete_chart(patient, doctor)
    return patient


def ampoules(clinic, **extra):
    return Product.objects.create(clinic=clinic, name=extra.pop("name", "Procaine 1 % 2 mL ampoule"),
                                  drug="procaine", concentration_percent=1, unit_volume_ml=2, units_per_pack=10,
                                  **extra)


def lot_of(product, number, days=365, units=10):
    return Lot.objects.create(clinic=product.clinic, product=product, number=number,
                              expiry=TODAY + timedelta(days=days), quantity_received=units,
                              received_on=TODAY - timedelta(days=5))


def new_session(patient, doctor, hours_ago=1):
    return Session.objects.create(patient=patient, practitioner=doctor,
                                  started_at=timezone.now() - timedelta(hours=hours_ago))


def wheal(session, product=None, volume="0.5", **extra):
    """A wheal, or above its 1 mL an infiltration of a scar (the safety check's limits)."""
    return {"target": "wheal" if Decimal(volume) <= 1 else "scar", "drug": "procaine", "concentration_percent": Decimal("1"),
            "volume_ml": Decimal(volume), "time": session.started_at + timedelta(minutes=5),
            "regions": [{"region": "lower_back", "side": "left"}], "product": product, **extra}


def left(lot):
    (counted,) = balances([Lot.objects.select_related("product").get(pk=lot.pk)], lot.clinic_id)
    return counted.on_hand


def test_an_injection_draws_from_the_lot_expiring_first_and_takes_its_number_and_expiry(ready, doctor, clinic):
    product = ampoules(clinic)
    later, sooner = lot_of(product, "B-200", days=400), lot_of(product, "A-100", days=100)
    expired = lot_of(product, "Z-001", days=-3)
    session = new_session(ready, doctor)
    item = add_injection(session, wheal(session, product), doctor)
    assert (item.stock_lot, item.lot, item.expiry) == (sooner, "A-100", sooner.expiry)
    assert item.verdict == "ok"
    # A second wheal in the same session: the ampoule opened for this patient holds it.
    add_injection(session, wheal(session, product), doctor)
    assert (left(sooner), left(later), left(expired)) == (9, 10, 10)
    # The lot typed by hand (any case, stray spaces) is the one drawn from.
    other = new_session(ready, doctor, hours_ago=2)
    item = add_injection(other, wheal(other, product, volume="2.5", lot=" b-200 "), doctor)
    assert (item.stock_lot, item.lot) == (later, "B-200")
    assert left(later) == 8
    event = AuditEvent.objects.filter(object_type="injection", object_id=str(item.pk)).get()
    assert event.detail["stock_lot"] == later.pk


def test_a_multi_dose_vial_is_drawn_by_volume(ready, doctor, clinic):
    vial = Product.objects.create(clinic=clinic, name="Procaine 1 % 50 mL vial", drug="procaine",
                                  concentration_percent=1, unit_volume_ml=50, multi_dose=True, preservative=True)
    lot = lot_of(vial, "V-1", units=2)
    for hours in (1, 2):
        session = new_session(ready, doctor, hours_ago=hours)
        add_injection(session, wheal(session, vial, volume="5"), doctor)
    assert left(lot) == Decimal("1.8")
    WriteOff.objects.create(clinic=clinic, lot=lot, units=Decimal("0.8"), reason="in_use_time", written_off_by=doctor)
    assert left(lot) == 1


def test_an_expired_lot_is_refused_and_nothing_is_saved(ready, doctor, clinic):
    product = ampoules(clinic)
    session = new_session(ready, doctor)
    # Expired the day before the injection's own day (an hour ago may be yesterday).
    day_before = (timezone.localdate(session.started_at) - TODAY).days - 1
    expired = lot_of(product, "OLD-1", days=day_before)
    lot_of(product, "NEW-1", days=200)
    with pytest.raises(TreatmentError) as refused:
        add_injection(session, wheal(session, product, stock_lot=expired), doctor)
    assert refused.value.field == "stock_lot" and "OLD-1" in refused.value.message
    with pytest.raises(TreatmentError) as typed:
        add_injection(session, wheal(session, product, lot="old-1"), doctor)
    assert typed.value.field == "stock_lot"
    assert not Injection.objects.exists()


def test_an_empty_or_unknown_lot_is_refused_naming_the_field(ready, doctor, clinic):
    product = ampoules(clinic)
    lot = lot_of(product, "ONE", units=1)
    session = new_session(ready, doctor)
    add_injection(session, wheal(session, product, volume="2"), doctor)  # the last ampoule
    other = new_session(ready, doctor, hours_ago=3)
    with pytest.raises(TreatmentError) as empty:
        add_injection(other, wheal(other, product, stock_lot=lot), doctor)
    assert empty.value.field == "stock_lot"
    with pytest.raises(TreatmentError) as none_left:
        add_injection(other, wheal(other, product), doctor)
    assert none_left.value.field == "stock_lot" and "receive stock" in none_left.value.message
    with pytest.raises(TreatmentError) as unknown:
        add_injection(other, wheal(other, product, lot="NOPE"), doctor)
    assert unknown.value.field == "lot"
    assert Injection.objects.count() == 1


def test_a_product_whose_stock_is_not_kept_records_as_before(ready, doctor, clinic):
    product = Product.objects.create(clinic=clinic, name="Procaine 1 %", drug="procaine", concentration_percent=1)
    session = new_session(ready, doctor)
    item = add_injection(session, wheal(session, product, lot="P-77", expiry=TODAY + timedelta(days=300)), doctor)
    assert (item.stock_lot, item.lot) == (None, "P-77")


def test_another_clinics_lot_is_refused(ready, doctor, clinic, other_clinic):
    product = ampoules(clinic)
    foreign = lot_of(ampoules(other_clinic), "F-1")
    session = new_session(ready, doctor)
    with pytest.raises(TreatmentError) as refused:
        add_injection(session, wheal(session, product, stock_lot=foreign), doctor)
    assert refused.value.field == "stock_lot"


def test_the_api_draws_from_a_lot_and_names_a_refused_one(api_client, ready, doctor, clinic):
    product = ampoules(clinic)
    lot, expired = lot_of(product, "API-1"), lot_of(product, "API-0", days=-10)
    session = new_session(ready, doctor)
    url = reverse("api:create_injection", args=[session.pk])
    body = {"target": "wheal", "volume_ml": 0.5, "regions": [{"region": "lower_back", "side": "left"}],
            "time": (session.started_at + timedelta(minutes=5)).isoformat()}
    response = api_client.post(url, json.dumps({**body, "stock_lot": expired.pk}), content_type="application/json")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "stock_lot"
    response = api_client.post(url, json.dumps({**body, "stock_lot": lot.pk}), content_type="application/json")
    assert response.status_code == 201, response.json()
    shown = api_client.get(reverse("api:read_session", args=[session.pk])).json()["injections"][0]
    assert (shown["product"], shown["stock_lot"], shown["lot"], shown["expiry"]) == (
        product.pk, lot.pk, "API-1", lot.expiry.isoformat())
    listed = api_client.get(reverse("api:stock_lots")).json()
    assert {row["number"]: row["on_hand"] for row in listed} == {"API-1": "9", "API-0": "10"}


# --- The lists ----------------------------------------------------------------------------

def test_the_lists_low_stock_expiring_within_60_days_and_expired_on_the_shelf(clinic, doctor):
    low = ampoules(clinic, name="Low", low_stock_units=5)
    lot_of(low, "L-1", units=3)
    lot_of(low, "L-OLD", days=-2, units=10)  # expired units do not keep a product off the low list
    plenty = ampoules(clinic, name="Plenty", low_stock_units=5)
    soon = lot_of(plenty, "P-SOON", days=59, units=20)
    lot_of(plenty, "P-LATER", days=61, units=20)
    gone = lot_of(plenty, "P-GONE", days=-5, units=2)
    WriteOff.objects.create(clinic=clinic, lot=gone, units=2, reason="expired", written_off_by=doctor)
    ampoules(clinic, name="No threshold")
    found = shelf(clinic)
    assert [p.name for p in found["low"]] == ["Low"]
    assert [lot.number for lot in found["expiring"]] == [soon.number]
    assert [lot.number for lot in found["expired"]] == ["L-OLD"]  # P-GONE was written off entirely


def test_the_stock_page_lists_them_in_queries_flat_with_the_lots(doctor_client, clinic):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            response = doctor_client.get(reverse("treatment:stock"))
        assert response.status_code == 200
        return len(ctx), response.content.decode()

    product = ampoules(clinic, low_stock_units=50)
    lot_of(product, "Q-1", days=30)
    few, page = count()
    assert "Q-1" in page and "low-stock" in page
    for n in range(6):
        lot_of(ampoules(clinic, name=f"P{n}"), f"Q-{n + 2}", days=20 + n)
    assert count()[0] == few


# --- Receiving and writing off ------------------------------------------------------------

def test_receiving_a_lot_adds_to_one_on_record_and_is_audited(doctor_client, clinic):
    product = ampoules(clinic)
    url = reverse("treatment:stock_receive")
    expiry = (TODAY + timedelta(days=500)).isoformat()
    form = {"product": product.pk, "number": "r 12", "expiry": expiry, "quantity_received": "20",
            "received_on": TODAY.isoformat(), "token": str(uuid.uuid4())}
    assert doctor_client.post(url, form).status_code == 302
    assert doctor_client.post(url, {**form, "number": "R12", "quantity_received": "10",
                                     "token": str(uuid.uuid4())}).status_code == 302
    lot = Lot.objects.get()
    assert (lot.number, lot.quantity_received, lot.expiry.isoformat()) == ("R12", 30, expiry)
    assert AuditEvent.objects.filter(object_type="lot").count() == 2
    response = doctor_client.post(url, {**form, "expiry": (TODAY + timedelta(days=90)).isoformat()})
    assert response.status_code == 400 and "expiry" in response.context["form"].errors
    bare = Product.objects.create(clinic=clinic, name="No volume", drug="procaine", concentration_percent=1)
    response = doctor_client.post(url, {**form, "product": bare.pk})
    assert response.status_code == 400 and "product" in response.context["form"].errors
    assert Lot.objects.get().quantity_received == 30


def test_a_write_off_cannot_take_more_than_is_left_nor_part_of_an_ampoule(doctor_client, clinic):
    lot = lot_of(ampoules(clinic), "W-1", units=3)
    url = reverse("treatment:stock_write_off", args=[lot.pk])
    response = doctor_client.post(url, {"units": "4", "reason": "broken"})
    assert response.status_code == 400 and "units" in response.context["form"].errors
    response = doctor_client.post(url, {"units": "0.5", "reason": "broken"})
    assert response.status_code == 400 and "units" in response.context["form"].errors
    response = doctor_client.post(url, {"units": "1", "reason": "other"})
    assert response.status_code == 400 and "note" in response.context["form"].errors
    assert doctor_client.post(url, {"units": "1", "reason": "broken", "note": "dropped"}).status_code == 302
    assert left(lot) == 2
    assert AuditEvent.objects.get(object_type="writeoff").detail["units"] == "1"


# --- Recall -------------------------------------------------------------------------------

def given(patient, doctor, lot=None, number="", days_ago=1):
    session = Session.objects.create(patient=patient, practitioner=doctor,
                                     started_at=timezone.now() - timedelta(days=days_ago))
    return Injection.objects.create(session=session, order=1, time=session.started_at, target="wheal",
                                    concentration_percent=1, volume_ml=1, verdict="ok", mg=10, cumulative_mg=10,
                                    product=lot.product if lot else None, stock_lot=lot,
                                    lot=lot.number if lot else number)


def test_which_patients_got_a_lot_answers_in_one_query(clinic, doctor):
    lot = lot_of(ampoules(clinic), "RC-1")
    given(make_patient(clinic, "Erste"), doctor, lot)
    typed = given(make_patient(clinic, "Getippt"), doctor, number="rc-1 ")  # recorded by hand, no stock
    given(make_patient(clinic, "Andere"), doctor, number="RC-2")
    with CaptureQueriesContext(connection) as one:
        found = list(recall(lot))
        names = [i.session.patient.family_name for i in found]
    assert names == ["Erste", "Getippt"] and typed in found
    assert len(one) == 1
    for n in range(5):
        given(make_patient(clinic, f"Mehr{n}"), doctor, lot)
    with CaptureQueriesContext(connection) as more:
        assert len({i.session.patient.pk for i in recall(lot)}) == 7
    assert len(more) == 1


def test_the_recall_page_and_api_read_the_injections_once_beside_the_audit(doctor_client, api_client, clinic,
                                                                          doctor):
    lot = lot_of(ampoules(clinic), "RC-9")
    for n in range(4):
        given(make_patient(clinic, f"P{n}"), doctor, lot)

    def reads(client, url):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        return response, [q["sql"] for q in ctx if 'FROM "treatment_injection"' in q["sql"]]

    response, sql = reads(doctor_client, reverse("treatment:stock_lot", args=[lot.pk]))
    assert len(sql) == 2  # the lot's balance, and the recall with every patient
    assert "Given to 4 patients" in response.content.decode()
    response, sql = reads(api_client, reverse("api:lot_search") + "?lot=rc-9")
    assert len(sql) == 1 and response.json()["count"] == 4
    assert {i["stock_lot"] for i in response.json()["items"]} == {lot.pk}
    # Each patient listed is an audited view, on the page and in the API.
    assert AuditEvent.objects.filter(action="view", detail__lot_search="RC-9").count() == 4
    assert AuditEvent.objects.filter(action="view", detail__lot_search="rc-9").count() == 4
