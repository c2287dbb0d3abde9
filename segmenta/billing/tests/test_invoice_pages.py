"""The invoice pages: only the clinic's practitioners and admins open them (an assistant or
another clinic gets 404), every read and write is audited, issuing asks for the password
again, the list's filters and the CSV download, and the billing settings for admins."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from segmenta.audit.models import AuditEvent
from segmenta.billing import invoices
from segmenta.billing.models import BillingSettings, Invoice
from segmenta.conftest import login_verified, make_patient, reauthenticated

from .making import billing_settings, draft


@pytest.fixture
def issued(clinic, doctor):
    billing_settings(clinic)
    patient = make_patient(clinic, address="Lindenweg 5\n10115 Berlin")
    return invoices.issue(draft(patient, doctor), doctor)


def test_assistants_and_other_clinics_see_no_invoice(issued, assistant, outsider):
    for user in (assistant, outsider):
        client = login_verified(Client(), user)
        assert client.get(reverse("billing:detail", args=[issued.pk])).status_code == 404
        assert client.post(reverse("billing:remind", args=[issued.pk])).status_code == 404
    assert login_verified(Client(), assistant).get(reverse("billing:index")).status_code == 404


def test_reading_an_invoice_is_audited(issued, doctor_client):
    assert doctor_client.get(reverse("billing:detail", args=[issued.pk])).status_code == 200
    event = AuditEvent.objects.filter(action="view", object_type="invoice").latest("id")
    assert event.patient_id == issued.patient_id and event.object_id == str(issued.pk)


def test_issuing_asks_for_the_password_again(clinic, doctor, doctor_client):
    billing_settings(clinic)
    invoice = draft(make_patient(clinic, address="Weg 1\n10115 Berlin"), doctor)
    response = doctor_client.post(reverse("billing:issue", args=[invoice.pk]))
    assert response.status_code == 302 and "reauth" in response.url
    assert Invoice.objects.get(pk=invoice.pk).number is None
    reauthenticated(doctor_client)
    doctor_client.post(reverse("billing:issue", args=[invoice.pk]))
    assert Invoice.objects.get(pk=invoice.pk).number
    assert AuditEvent.objects.filter(action="update", detail__invoice="issued").exists()


def test_an_unjustified_factor_is_named_on_the_page(clinic, doctor, doctor_client):
    billing_settings(clinic)
    invoice = draft(make_patient(clinic, address="Weg 1\n10115 Berlin"), doctor)
    line = invoice.lines.first()
    response = doctor_client.post(reverse("billing:edit", args=[invoice.pk]), {
        "recipient_name": "Erika Muster", "recipient_address": "Weg 1\n10115 Berlin",
        f"line-{line.pk}-quantity": "1", f"line-{line.pk}-factor": "2,8", f"line-{line.pk}-justification": ""},
        follow=True)
    assert "Line 1 (267)" in response.content.decode()
    reauthenticated(doctor_client)
    response = doctor_client.post(reverse("billing:issue", args=[invoice.pk]), follow=True)
    assert "needs a written justification" in response.content.decode()
    assert Invoice.objects.get(pk=invoice.pk).is_draft


def test_the_list_filters_and_the_csv_download(issued, doctor, doctor_client):
    overdue_on = issued.due_date + datetime.timedelta(days=1)
    assert issued.number in doctor_client.get(reverse("billing:index") + "?show=open").content.decode()
    assert issued.number not in doctor_client.get(reverse("billing:index") + "?show=paid").content.decode()
    assert invoices.state(issued, overdue_on) == "overdue"
    reauthenticated(doctor_client)
    response = doctor_client.get(reverse("billing:export"), {"date_from": issued.issue_date.isoformat(),
                                                            "date_to": issued.issue_date.isoformat()})
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.splitlines()[0].startswith("number,date,kind") and issued.number in text
    assert AuditEvent.objects.filter(action="export", detail__invoices="csv").exists()


def test_the_list_is_audited_once_naming_its_patients_and_costs_the_same_however_long(clinic, doctor,
                                                                                       doctor_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    billing_settings(clinic)
    first = make_patient(clinic, family="Erste")
    draft(first, doctor, lines=False)

    def shown():
        before = AuditEvent.objects.count()
        with CaptureQueriesContext(connection) as ctx:
            assert doctor_client.get(reverse("billing:index")).status_code == 200
        return len(ctx), list(AuditEvent.objects.order_by("id")[before:])

    shown()  # what a first visit sets up is not counted
    few, events = shown()
    assert [(e.object_type, e.detail["patients"]) for e in events] == [("patient_list", [first.pk])]
    others = [make_patient(clinic, family=f"Weitere{i}") for i in range(4)]
    for patient in others:
        draft(patient, doctor, lines=False)
    draft(first, doctor, lines=False)
    many, events = shown()
    assert many == few and len(events) == 1
    assert sorted(events[0].detail["patients"]) == sorted([first.pk, *(p.pk for p in others)])
    assert len(events[0].detail["invoices"]) == 6 and events[0].detail["page"] == "invoices"


def test_the_clinic_admin_saves_the_billing_settings(clinic, admin_client, doctor_client):
    assert doctor_client.get(reverse("billing:settings")).status_code == 404
    reauthenticated(admin_client)
    response = admin_client.post(reverse("billing:settings"), {
        "legal_name": "Praxis Nord GbR", "street": "Hauptstraße 1", "postcode": "10115", "city": "Berlin",
        "country": "de", "tax_number": "30/123/45678", "vat_id": "", "iban": "DE89 3704 0044 0532 0130 00",
        "bic": "", "bank_name": "", "payment_days": "14", "reminder_days": "10",
        "vat_exemption_note": "Umsatzsteuerfrei nach §4 Nr. 14 UStG.", "number_prefix": "NT-"})
    assert response.status_code == 302
    saved = BillingSettings.objects.get(clinic=clinic)
    assert (saved.iban, saved.country, saved.payment_days) == ("DE89370400440532013000", "DE", 14)
    response = admin_client.post(reverse("billing:settings"), {"country": "DE", "iban": "DE00 1234",
                                                              "payment_days": "14", "reminder_days": "10"})
    assert response.status_code == 400 and "IBAN" in response.content.decode()
