"""A product's pack data is fixed once lots of it are on record: the stock counts what each
injection drew by ``multi_dose`` (whole ampoules per session, or a vial's share by volume)
and by ``unit_volume_ml``, so changing either would silently recount past draws."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from segmenta.conftest import make_patient
from segmenta.treatment.models import Injection, Lot, Product, Session
from segmenta.treatment.stockroom import balances

TODAY = timezone.localdate()


def ampoule(clinic):
    return Product.objects.create(clinic=clinic, name="Procaine 1 % 2 mL ampoule", drug="procaine",
                                  concentration_percent=1, unit_volume_ml=2, units_per_pack=10)


def drawn_once(product, doctor):
    """A lot of ``product`` with one session that drew 0.5 mL from it."""
    lot = Lot.objects.create(clinic=product.clinic, product=product, number="L1", quantity_received=10,
                             expiry=TODAY + timedelta(days=300), received_on=TODAY)
    session = Session.objects.create(patient=make_patient(product.clinic), practitioner=doctor,
                                     started_at=timezone.now() - timedelta(hours=1))
    Injection.objects.create(session=session, order=1, time=session.started_at, target="wheal", product=product,
                             stock_lot=lot, lot=lot.number, concentration_percent=1, volume_ml=Decimal("0.5"),
                             verdict="ok", mg=5, cumulative_mg=5)
    return lot


def on_hand(lot):
    (counted,) = balances([Lot.objects.select_related("product").get(pk=lot.pk)], lot.clinic_id)
    return counted.on_hand


def edited(product, **changes):
    data = {"name": product.name, "drug": product.drug, "concentration_percent": str(product.concentration_percent),
            "units_per_pack": product.units_per_pack or "", "unit_volume_ml": str(product.unit_volume_ml or ""),
            "active": "on", **changes}
    if data.pop("multi_dose", product.multi_dose):
        data["multi_dose"] = "on"
    return data


def test_the_model_refuses_toggling_multi_dose_once_lots_exist_naming_the_field(clinic, doctor):
    product = ampoule(clinic)
    product.multi_dose = True
    product.full_clean()  # no lots yet: still free to correct
    product.multi_dose = False
    drawn_once(product, doctor)
    product.multi_dose = True
    with pytest.raises(ValidationError) as refused:
        product.full_clean()
    assert list(refused.value.message_dict) == ["multi_dose"]
    assert "Multi-dose vial" in refused.value.message_dict["multi_dose"][0]
    product.unit_volume_ml, product.multi_dose = Decimal("5"), False
    with pytest.raises(ValidationError) as refused:
        product.full_clean()
    assert list(refused.value.message_dict) == ["unit_volume_ml"]
    # The same volume written another way is no change.
    product.unit_volume_ml = Decimal("2.0")
    product.full_clean()


def test_the_product_form_refuses_it_and_past_draws_keep_their_count(doctor_client, clinic, doctor):
    product = ampoule(clinic)
    lot = drawn_once(product, doctor)
    assert on_hand(lot) == 9  # half a mL opened one whole ampoule
    url = reverse("treatment:product_edit", args=[product.pk])
    page = doctor_client.get(url).content.decode()
    assert "Fixed: lots of this product are on record." in page
    response = doctor_client.post(url, edited(product, multi_dose=True))
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["multi_dose"]
    product.refresh_from_db()
    assert product.multi_dose is False and on_hand(lot) == 9
    # A multi-dose vial drawn from goes the other way refused just the same.
    vial = Product.objects.create(clinic=clinic, name="Procaine 1 % 50 mL vial", drug="procaine",
                                  concentration_percent=1, unit_volume_ml=50, multi_dose=True, preservative=True)
    Lot.objects.create(clinic=clinic, product=vial, number="V1", quantity_received=2,
                       expiry=TODAY + timedelta(days=300), received_on=TODAY)
    response = doctor_client.post(reverse("treatment:product_edit", args=[vial.pk]),
                                  edited(vial, multi_dose=False, preservative="on"))
    assert response.status_code == 400 and "multi_dose" in response.context["form"].errors
    vial.refresh_from_db()
    assert vial.multi_dose is True
    # Everything else can still be edited.
    assert doctor_client.post(url, edited(product, low_stock_units="5")).status_code == 302
    product.refresh_from_db()
    assert (product.low_stock_units, product.multi_dose) == (5, False)


def test_without_lots_multi_dose_can_be_corrected(doctor_client, clinic):
    product = ampoule(clinic)
    url = reverse("treatment:product_edit", args=[product.pk])
    assert "Fixed: lots" not in doctor_client.get(url).content.decode()
    assert doctor_client.post(url, edited(product, multi_dose=True)).status_code == 302
    product.refresh_from_db()
    assert product.multi_dose is True
