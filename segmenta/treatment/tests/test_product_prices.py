"""A product's price per unit: entered on the products page (as the language writes numbers),
checked (not negative, cents at most), listed, editable, and read by the API."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from segmenta.audit.models import AuditEvent
from segmenta.treatment.models import Product
from segmenta.treatment.tests.test_products_and_lots import PRODUCT, given_injection


def test_a_price_entered_with_the_product_is_stored_listed_and_audited(doctor_client, clinic):
    response = doctor_client.post(reverse("treatment:products"), {**PRODUCT, "unit_price": "1.85"})
    assert response.status_code == 302
    assert Product.objects.get().unit_price == Decimal("1.85")
    assert "unit_price" in AuditEvent.objects.get(object_type="product", action="create").detail["fields"]
    listed = doctor_client.get(reverse("treatment:products")).content.decode()
    assert "Price per unit" in listed and "1.85" in listed


def test_a_price_may_stay_empty_and_is_listed_as_not_entered(doctor_client, clinic):
    doctor_client.post(reverse("treatment:products"), PRODUCT)
    assert Product.objects.get().unit_price is None
    assert "not entered" in doctor_client.get(reverse("treatment:products")).content.decode()


@pytest.mark.parametrize("price", ["-0.01", "1.234", "many"])
def test_a_price_below_zero_or_finer_than_cents_is_refused_at_the_field(doctor_client, clinic, price):
    response = doctor_client.post(reverse("treatment:products"), {**PRODUCT, "unit_price": price})
    assert response.status_code == 400 and "unit_price" in response.context["form"].errors
    assert not Product.objects.exists()


def test_a_german_page_takes_the_price_with_a_comma(doctor_client, doctor, clinic):
    product = Product.objects.create(clinic=clinic, name="Procain 1 %", drug="procaine", concentration_percent=1)
    doctor_client.cookies["django_language"] = "de"
    with translation.override("de"):
        url = reverse("treatment:product_edit", args=[product.pk])
    response = doctor_client.post(url, {**PRODUCT, "name": product.name, "unit_price": "12,40"},
                                  HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.unit_price == Decimal("12.40")


def test_the_recall_api_gives_the_products_price(api_client, clinic, doctor, patient):
    priced = Product.objects.create(clinic=clinic, name="Procaine 1 %", drug="procaine", concentration_percent=1,
                                    unit_price=Decimal("1.85"))
    unpriced = Product.objects.create(clinic=clinic, name="Procaine 2 %", drug="procaine", concentration_percent=2)
    given_injection(patient, doctor, "P1", priced)
    given_injection(patient, doctor, "P1", unpriced, order=2)
    items = api_client.get(reverse("api:lot_search") + "?lot=P1").json()["items"]
    assert {item["product"]["name"]: item["product"]["unit_price"] for item in items} == \
        {"Procaine 1 %": "1.85", "Procaine 2 %": None}
