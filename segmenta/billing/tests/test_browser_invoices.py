"""Invoices in a real browser, as a practitioner works them on a tablet: a draft's factor raised
and justified, a line removed, the draft issued after the password again, and a payment
recorded, each checked in what was stored."""

import datetime
from decimal import Decimal

import pytest

from segmenta.billing import rules
from segmenta.billing.models import Invoice
from segmenta.conftest import PASSWORD, browser_login, make_patient

from .making import billing_settings, draft

pytestmark = pytest.mark.browser


@pytest.fixture
def invoice(clinic, doctor, settings):
    settings.SEGMENTA_REQUIRE_MFA = False
    billing_settings(clinic)
    patient = make_patient(clinic, family="Brandt", given="Ida", address="Lindenweg 5\n10115 Berlin")
    return draft(patient, doctor)


def test_a_practitioner_edits_and_issues_a_draft(page, invoice):
    browser_login(page, "doctor", PASSWORD)
    first, second, _expense = invoice.lines.all()
    page.goto(f"/invoices/{invoice.pk}/edit/")
    page.get_by_label("Address").fill("Neue Straße 2\n10117 Berlin")
    page.locator(f"#line-{first.pk}-factor").fill("3.0")
    page.locator(f"#line-{second.pk}-remove").check()
    page.get_by_role("button", name="Save draft").click()
    # Above the threshold: the line asks for its justification before issuing.
    assert page.locator(f"#line-{first.pk} .error").is_visible()
    page.locator(f"#line-{first.pk}-justification").fill("Infiltration made difficult by scar tissue")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_role("button", name="Issue invoice").click()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(f"**/invoices/{invoice.pk}/edit/")
    page.get_by_role("button", name="Issue invoice").click()
    page.wait_for_url(f"**/invoices/{invoice.pk}/")
    stored = Invoice.objects.get(pk=invoice.pk)
    assert stored.status == "issued" and stored.number and page.get_by_role("heading", name=stored.number).count()
    assert stored.recipient_address == "Neue Straße 2\n10117 Berlin"
    lines = list(stored.lines.all())
    assert [line.code for line in lines] == ["267", "§10"]
    assert lines[0].factor == Decimal("3.00") and lines[0].justification == "Infiltration made difficult by scar tissue"
    assert lines[0].amount == rules.line_amount(lines[0].unit_fee, Decimal("3.0"), 1)
    assert stored.total == lines[0].amount + lines[1].amount


def test_a_practitioner_records_a_payment(page, invoice, doctor):
    from segmenta.billing import invoices

    issued = invoices.issue(invoice, doctor)
    browser_login(page, "doctor", PASSWORD)
    page.goto(f"/invoices/{issued.pk}/")
    page.get_by_label("Amount").fill("10.50")
    page.get_by_label("Method").select_option(label="Cash")
    page.get_by_label("Note").fill("paid at the desk")
    page.get_by_label("Date").fill((datetime.date.today() - datetime.timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Record payment").click()
    page.wait_for_url(f"**/invoices/{issued.pk}/")
    payment = issued.payments.get()
    assert (payment.amount, payment.method, payment.note) == (Decimal("10.50"), "cash", "paid at the desk")
    assert payment.date == datetime.date.today() - datetime.timedelta(days=1)
    assert page.get_by_text("Partly paid").first.is_visible()
