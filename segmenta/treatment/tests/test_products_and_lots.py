"""The clinic's product list and the lot search for recalls."""

import pytest
from django.test import Client
from django.urls import reverse

from segmenta.audit.models import AuditEvent
from segmenta.conftest import login_verified, make_patient, make_user
from segmenta.treatment.models import Injection, Product, Session

PRODUCT = {"name": "Procaine 1 % 2 mL ampoule", "drug": "procaine", "concentration_percent": "1", "active": "on"}


def given_injection(patient, user, lot, product=None, order=1, expiry="2027-06-30"):
    session = Session.objects.create(patient=patient, started_at="2026-11-25T10:00:00+01:00", practitioner=user)
    return Injection.objects.create(session=session, order=order, time=session.started_at, target="wheal",
                                    concentration_percent=1, volume_ml=1, verdict="ok", mg=10, cumulative_mg=10,
                                    product=product, lot=lot, expiry=expiry)


def test_a_practitioner_adds_a_product_and_the_change_is_audited(doctor_client, clinic):
    response = doctor_client.post(reverse("treatment:products"), {**PRODUCT, "preservative": "on"})
    assert response.status_code == 302
    product = Product.objects.get()
    assert (product.clinic, product.name, product.preservative, product.multi_dose, product.active) == \
        (clinic, "Procaine 1 % 2 mL ampoule", True, False, True)
    event = AuditEvent.objects.get(object_type="product")
    assert (event.action, event.clinic, event.detail["name"]) == ("create", clinic, product.name)


def test_the_name_is_unique_per_clinic_and_the_error_names_the_field(doctor_client, clinic, other_clinic):
    Product.objects.create(clinic=clinic, name="Procaine 1 % 2 mL ampoule", drug="procaine",
                           concentration_percent=1)
    Product.objects.create(clinic=other_clinic, name="Lidocaine 1 %", drug="lidocaine", concentration_percent=1)
    response = doctor_client.post(reverse("treatment:products"), {**PRODUCT, "name": "procaine 1 %  2 mL ampoule"})
    assert response.status_code == 400 and response.context["form"].errors["name"]
    # Another clinic's product of the same name does not count.
    doctor_client.post(reverse("treatment:products"), {**PRODUCT, "name": "Lidocaine 1 %", "drug": "lidocaine"})
    assert Product.objects.filter(clinic=clinic, name="Lidocaine 1 %").exists()


def test_a_bad_concentration_is_refused_naming_the_field(doctor_client):
    response = doctor_client.post(reverse("treatment:products"), {**PRODUCT, "concentration_percent": "0"})
    assert response.status_code == 400 and "concentration_percent" in response.context["form"].errors
    assert not Product.objects.exists()


def test_retiring_a_product_keeps_it_on_past_injections(doctor_client, clinic, patient, doctor):
    product = Product.objects.create(clinic=clinic, name="Procaine 2 %", drug="procaine", concentration_percent=2)
    injection = given_injection(patient, doctor, "L1", product)
    response = doctor_client.post(reverse("treatment:product_edit", args=[product.pk]),
                                  {"name": "Procaine 2 %", "drug": "procaine", "concentration_percent": "2"})
    assert response.status_code == 302
    product.refresh_from_db()
    injection.refresh_from_db()
    assert not product.active and injection.product == product
    assert AuditEvent.objects.filter(object_type="product", action="update").get().detail["fields"] == ["active"]
    assert "retired" in doctor_client.get(reverse("treatment:products")).content.decode()


def test_an_assistant_sees_the_list_but_cannot_change_it(clinic, assistant):
    product = Product.objects.create(clinic=clinic, name="Procaine 1 %", drug="procaine", concentration_percent=1)
    client = login_verified(Client(), assistant)
    page = client.get(reverse("treatment:products"))
    assert page.status_code == 200 and "Procaine 1 %" in page.content.decode() and page.context["form"] is None
    assert client.post(reverse("treatment:products"), PRODUCT).status_code == 404
    assert client.get(reverse("treatment:product_edit", args=[product.pk])).status_code == 404
    assert Product.objects.count() == 1


def test_another_clinics_product_is_404(doctor_client, other_clinic):
    product = Product.objects.create(clinic=other_clinic, name="Theirs", drug="procaine", concentration_percent=1)
    assert doctor_client.get(reverse("treatment:product_edit", args=[product.pk])).status_code == 404
    assert doctor_client.get(reverse("treatment:products") + f"?clinic={other_clinic.pk}").status_code == 404


def test_a_member_of_two_clinics_chooses_which_list(clinic, other_clinic):
    from segmenta.accounts.models import Membership

    user = make_user("both", clinic)
    Membership.objects.create(user=user, clinic=other_clinic, role="practitioner")
    Product.objects.create(clinic=other_clinic, name="Süd product", drug="procaine", concentration_percent=1)
    client = login_verified(Client(), user)
    client.post(reverse("treatment:products") + f"?clinic={other_clinic.pk}", {**PRODUCT, "name": "Second"})
    assert Product.objects.get(name="Second").clinic == other_clinic
    assert "Süd product" in client.get(reverse("treatment:products") + f"?clinic={other_clinic.pk}").content.decode()
    assert "Süd product" not in client.get(reverse("treatment:products") + f"?clinic={clinic.pk}").content.decode()


# --- Lot search (recall) -------------------------------------------------------------

def test_the_lot_search_lists_every_patient_who_got_the_lot_and_audits_each(doctor_client, clinic, doctor, patient):
    other = make_patient(clinic, "Beispiel", "Otto")
    product = Product.objects.create(clinic=clinic, name="Procaine 1 %", drug="procaine", concentration_percent=1)
    given_injection(patient, doctor, "AB123", product)
    given_injection(other, doctor, "ab123 ", product, expiry="2027-01-31")
    given_injection(other, doctor, "ZZ999", product)
    response = doctor_client.get(reverse("treatment:lots"), {"lot": "AB123"})
    html = response.content.decode()
    assert response.status_code == 200
    results = response.context["results"]
    assert {i.session.patient for i in results} == {patient, other} and "ZZ999" not in html
    assert "Muster, Erika" in html and "Beispiel, Otto" in html and "2027-01-31" in html
    viewed = AuditEvent.objects.filter(action="view", detail__lot_search="AB123")
    assert sorted(e.patient_id for e in viewed) == sorted([patient.pk, other.pk])


def test_the_lot_search_narrows_to_a_product(doctor_client, clinic, doctor, patient):
    one = Product.objects.create(clinic=clinic, name="Procaine 1 %", drug="procaine", concentration_percent=1)
    two = Product.objects.create(clinic=clinic, name="Procaine 2 %", drug="procaine", concentration_percent=2)
    given_injection(patient, doctor, "X1", one)
    given_injection(patient, doctor, "X1", two)
    response = doctor_client.get(reverse("treatment:lots"), {"lot": "X1", "product": two.pk})
    assert [i.product for i in response.context["results"]] == [two]


def test_the_lot_search_never_shows_another_clinics_patients(doctor_client, foreign_patient, outsider):
    given_injection(foreign_patient, outsider, "SHARED")
    response = doctor_client.get(reverse("treatment:lots"), {"lot": "SHARED"})
    assert response.context["results"] == [] and "Fremd" not in response.content.decode()
    assert not AuditEvent.objects.filter(patient=foreign_patient).exists()


def test_a_blank_lot_is_refused_naming_the_field(doctor_client):
    response = doctor_client.get(reverse("treatment:lots"), {"lot": "   "})
    assert response.status_code == 400 and response.context["form"].errors["lot"]


# --- GET /api/v1/lots ----------------------------------------------------------------

def test_the_api_lists_a_lots_injections_with_their_patients_and_audits_each(api_client, clinic, doctor, patient):
    product = Product.objects.create(clinic=clinic, name="Procaine 1 %", drug="procaine", concentration_percent=1,
                                     preservative=True)
    injection = given_injection(patient, doctor, "AB123", product)
    body = api_client.get("/api/v1/lots", {"lot": "ab123"}).json()
    assert body["count"] == 1
    item = body["items"][0]
    assert (item["patient"], item["injection"], item["lot"], item["expiry"]) == \
        (patient.pk, injection.pk, "AB123", "2027-06-30")
    assert item["product"] == {"id": product.pk, "name": "Procaine 1 %", "drug": "procaine",
                               "concentration_percent": "1.00", "preservative": True, "multi_dose": False,
                               "unit_price": None}
    assert AuditEvent.objects.filter(action="view", patient=patient, detail__lot_search="ab123").count() == 1


def test_the_api_keeps_to_the_token_users_clinics(api_client, foreign_patient, outsider, other_clinic):
    product = Product.objects.create(clinic=other_clinic, name="Theirs", drug="procaine", concentration_percent=1)
    given_injection(foreign_patient, outsider, "SHARED", product)
    assert api_client.get("/api/v1/lots", {"lot": "SHARED"}).json() == {"count": 0, "items": []}
    assert api_client.get("/api/v1/lots", {"lot": "SHARED", "product": product.pk}).status_code == 404


@pytest.mark.parametrize("query,field", [({}, "lot"), ({"lot": ""}, "lot"), ({"lot": "x" * 41}, "lot"),
                                         ({"lot": "A", "limit": 0}, "limit")])
def test_the_api_refuses_bad_queries_naming_the_field(api_client, query, field):
    response = api_client.get("/api/v1/lots", query)
    assert response.status_code == 422 and response.json()["detail"].startswith(f"{field}:")


def test_the_api_needs_a_token(db):
    assert Client().get("/api/v1/lots", {"lot": "A"}).status_code == 401


def test_openapi_describes_the_lot_search(db, client):
    assert "/api/v1/lots" in client.get("/api/v1/openapi.json").json()["paths"]
