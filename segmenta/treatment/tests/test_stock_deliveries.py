"""Receiving stock: every delivery is kept, a receive form sent twice records one delivery,
an expired pack is not put on the shelf, and two deliveries of a new lot at the same moment
make one lot holding both (PostgreSQL, two threads)."""

import threading
import uuid
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection, connections
from django.utils import timezone

from segmenta.audit.models import AuditEvent
from segmenta.treatment.models import Delivery, Lot, Product
from segmenta.treatment.stock_forms import ReceiveForm
from segmenta.treatment.stockroom import receive

TODAY = timezone.localdate()
URL = "/stock/receive/"


def ampoules(clinic):
    return Product.objects.create(clinic=clinic, name="Procaine 1 % 2 mL ampoule", drug="procaine",
                                  concentration_percent=1, unit_volume_ml=2, units_per_pack=10)


def delivery(product, number="D-1", units=20, days=400, token=None):
    return {"product": str(product.pk), "number": number, "expiry": (TODAY + timedelta(days=days)).isoformat(),
            "quantity_received": str(units), "received_on": TODAY.isoformat(),
            "token": str(token or uuid.uuid4())}


def test_the_form_shown_carries_a_fresh_token_each_time(doctor_client, clinic):
    ampoules(clinic)
    pages = [doctor_client.get(URL).content.decode() for _ in range(2)]
    tokens = [page.split('name="token" value="')[1].split('"')[0] for page in pages]
    assert [uuid.UUID(token).version for token in tokens] == [4, 4] and tokens[0] != tokens[1]


def test_a_receive_form_sent_twice_records_one_delivery(doctor_client, clinic, doctor):
    product = ampoules(clinic)
    sent = delivery(product)
    assert doctor_client.post(URL, sent).status_code == 302
    again = doctor_client.post(URL, sent)
    assert again.status_code == 302
    assert "recorded already" in [str(m) for m in get_messages(again.wsgi_request)][-1]
    lot = Lot.objects.get()
    assert lot.quantity_received == 20
    assert list(Delivery.objects.values_list("lot", "units", "received_by", "token")) == [
        (lot.pk, 20, doctor.pk, uuid.UUID(sent["token"]))]
    assert AuditEvent.objects.filter(object_type="lot").count() == 1
    # A second delivery of the same lot, on a form of its own, adds to it and is kept apart.
    assert doctor_client.post(URL, delivery(product, units=5)).status_code == 302
    lot.refresh_from_db()
    assert lot.quantity_received == 25
    assert sorted(Delivery.objects.values_list("units", flat=True)) == [5, 20]


def test_a_form_without_its_token_is_refused_above_the_form(doctor_client, clinic):
    product = ampoules(clinic)
    for token in ("", "not-a-token"):
        response = doctor_client.post(URL, {**delivery(product), "token": token})
        assert response.status_code == 400
        form = response.context["form"]
        assert form.non_field_errors() and "token" not in form.errors
        assert "Receive stock" in form.non_field_errors()[0]
    assert not Lot.objects.exists() and not Delivery.objects.exists()


def test_a_pack_already_expired_on_arrival_is_not_put_on_the_shelf(doctor_client, clinic):
    product = ampoules(clinic)
    response = doctor_client.post(URL, delivery(product, days=-1))
    assert response.status_code == 400 and list(response.context["form"].errors) == ["expiry"]
    assert not Lot.objects.exists()
    # Expiring on the day it arrives it may still be used that day.
    assert doctor_client.post(URL, delivery(product, days=0)).status_code == 302


def test_another_expiry_for_a_lot_on_record_is_refused_naming_the_field(doctor_client, clinic):
    product = ampoules(clinic)
    doctor_client.post(URL, delivery(product))
    response = doctor_client.post(URL, delivery(product, days=200))
    assert response.status_code == 400 and list(response.context["form"].errors) == ["expiry"]
    assert Lot.objects.get().quantity_received == 20 and Delivery.objects.count() == 1


# --- At the same moment, on PostgreSQL ---------------------------------------------------

def at_once(forms, user):
    """Both forms validated first (neither sees the other's lot yet), then received by two
    threads at the same moment; returns what each receive answered, and any error."""
    assert all(form.is_valid() for form in forms), [form.errors for form in forms]
    barrier = threading.Barrier(len(forms))
    answers, errors = [], []

    def work(form):
        try:
            barrier.wait()
            answers.append(receive(form, user))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(form,)) for form in forms]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers, errors


@pytest.mark.parametrize("_round", range(3))
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks under real concurrency")
def test_two_deliveries_of_a_new_lot_at_once_make_one_lot_holding_both(clinic, doctor, _round):
    product = ampoules(clinic)
    forms = [ReceiveForm(delivery(product, number="NEW-1", units=units), clinic=clinic) for units in (20, 10)]
    answers, errors = at_once(forms, doctor)
    assert errors == []
    lot = Lot.objects.get()
    assert lot.quantity_received == 30
    assert sorted(Delivery.objects.filter(lot=lot).values_list("units", flat=True)) == [10, 20]
    assert sorted(recorded for _lot, recorded in answers) == [True, True]
    assert sorted(AuditEvent.objects.filter(object_type="lot").values_list("action", flat=True)) == [
        "create", "update"]


@pytest.mark.parametrize("_round", range(3))
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks under real concurrency")
def test_the_same_form_sent_twice_at_once_records_one_delivery(clinic, doctor, _round):
    product = ampoules(clinic)
    sent = delivery(product, number="TWICE-1")
    answers, errors = at_once([ReceiveForm(sent, clinic=clinic), ReceiveForm(sent, clinic=clinic)], doctor)
    assert errors == []
    assert Lot.objects.get().quantity_received == 20 and Delivery.objects.count() == 1
    assert sorted(recorded for _lot, recorded in answers) == [False, True]


def test_the_lots_page_lists_each_delivery(doctor_client, clinic):
    product = ampoules(clinic)
    doctor_client.post(URL, delivery(product, units=20))
    doctor_client.post(URL, {**delivery(product, units=5), "note": "second carton"})
    lot = Lot.objects.get()
    page = doctor_client.get(f"/stock/lots/{lot.pk}/").content.decode()
    listed = page.split('id="deliveries"')[1].split("</ul>")[0]
    assert listed.count("<li>") == 2
    assert "20 units on" in listed and "5 units on" in listed and "second carton" in listed


@pytest.mark.parametrize("received_on, field", [(TODAY + timedelta(days=30), "received_on"),
                                                 (TODAY.replace(year=1850), "received_on")])
def test_a_second_delivery_is_checked_as_the_first_one_is(doctor_client, clinic, received_on, field):
    # A lot already on the shelf skips building a new lot, not the checks of the delivery's
    # dates: a delivery received in the future (or in 1850) is refused naming the field.
    product = ampoules(clinic)
    assert doctor_client.post(URL, delivery(product)).status_code == 302
    again = doctor_client.post(URL, {**delivery(product, units=5), "received_on": received_on.isoformat()})
    assert again.status_code == 400 and field in again.context["form"].errors
    assert Lot.objects.get().quantity_received == 20 and Delivery.objects.count() == 1


def test_a_delivery_that_would_take_a_lot_past_its_largest_quantity_is_refused(doctor_client, clinic):
    product = ampoules(clinic)
    assert doctor_client.post(URL, delivery(product, units=99_999)).status_code == 302
    again = doctor_client.post(URL, delivery(product, units=5))
    assert again.status_code == 400 and "quantity_received" in again.context["form"].errors
    assert Lot.objects.get().quantity_received == 99_999 and Delivery.objects.count() == 1


def test_a_lot_another_delivery_commits_while_the_form_is_checked_is_no_form_error(clinic, doctor):
    """The form looks for the lot on record, then checks the rest; another request's delivery of
    the same new lot may commit in between. Its unique number is then receive()'s to settle
    under the product's lock (it adds to that lot), never a 400 for the second sender."""
    product = ampoules(clinic)
    sent = delivery(product, number="DC-5")

    class CheckedWhileAnotherCommits(ReceiveForm):
        def clean(self):
            cleaned = super().clean()
            assert self.existing is None
            Lot.objects.create(clinic=clinic, product=product, number="DC-5", quantity_received=20,
                               expiry=TODAY + timedelta(days=400), received_on=TODAY, received_by=doctor)
            return cleaned

    form = CheckedWhileAnotherCommits(sent, clinic=clinic)
    assert form.is_valid(), form.errors
    lot, recorded = receive(form, doctor)
    assert recorded and Lot.objects.get() == lot and lot.quantity_received == 40
