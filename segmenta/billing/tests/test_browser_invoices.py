"""Invoices in a real browser, as a practitioner works them on a tablet: a draft's factor raised
and justified, a line removed, the draft issued after the password again, and a payment
recorded, reminders sent, an invoice cancelled, a line added from the schedule's codes, the clinic
admin's billing settings, and the accountant's CSV of a period, each checked in what was stored."""

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest

from segmenta.billing import rules
from segmenta.billing.models import BillingSettings, Invoice
from segmenta.conftest import PASSWORD, browser_login, make_patient

from .making import billing_settings, draft

pytestmark = pytest.mark.browser


@pytest.fixture
def invoice(clinic, doctor, settings):
    settings.SEGMENTA_REQUIRE_MFA = False
    billing_settings(clinic)
    patient = make_patient(clinic, family="Brandt", given="Ida", address="Lindenweg 5\n10115 Berlin")
    return draft(patient, doctor)


def click_issue(page, invoice):
    """"Issue invoice" on the draft's page, the password again, then "Issue invoice" once more."""
    page.get_by_role("button", name="Issue invoice").click()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(f"**/invoices/{invoice.pk}/edit/")
    page.get_by_role("button", name="Issue invoice").click()


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
    click_issue(page, invoice)
    page.wait_for_url(f"**/invoices/{invoice.pk}/")
    stored = Invoice.objects.get(pk=invoice.pk)
    assert stored.status == "issued" and stored.number and page.get_by_role("heading", name=stored.number).count()
    assert stored.recipient_address == "Neue Straße 2\n10117 Berlin"
    lines = list(stored.lines.all())
    assert [line.code for line in lines] == ["267", "§10"]
    assert lines[0].factor == Decimal("3.00") and lines[0].justification == "Infiltration made difficult by scar tissue"
    assert lines[0].amount == rules.line_amount(lines[0].unit_fee, Decimal("3.0"), 1)
    assert stored.total == lines[0].amount + lines[1].amount


def test_a_refused_save_keeps_what_was_typed_in_the_lines_and_the_corrected_save_stores_it(page, invoice):
    """A wrong country refuses the save and stores nothing; the factor, justification and removal
    typed in the lines stay in their fields, so correcting the country and saving again stores them."""
    browser_login(page, "doctor", PASSWORD)
    first, second, expense = invoice.lines.all()
    page.goto(f"/invoices/{invoice.pk}/edit/")
    page.locator(f"#line-{first.pk}-factor").fill("3.0")
    page.locator(f"#line-{first.pk}-justification").fill("Scar tissue")
    page.locator(f"#line-{second.pk}-remove").check()
    page.locator(f"#line-{expense.pk}-price").fill("2.40")
    page.get_by_label("Country").fill("XX")
    page.get_by_role("button", name="Save draft").click()
    assert "Recipient's country" in page.get_by_role("alert").inner_text()
    assert Invoice.objects.get(pk=invoice.pk).lines.count() == 3  # nothing stored
    assert page.locator(f"#line-{first.pk}-factor").input_value() == "3.0"
    assert page.locator(f"#line-{second.pk}-remove").is_checked()
    page.get_by_label("Country").fill("AT")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(f"**/invoices/{invoice.pk}/edit/")
    stored = Invoice.objects.get(pk=invoice.pk)
    lines = list(stored.lines.all())
    assert stored.recipient_country == "AT" and [line.code for line in lines] == ["267", "§10"]
    assert (lines[0].factor, lines[0].justification) == (Decimal("3.00"), "Scar tissue")
    assert lines[1].unit_fee == Decimal("2.40") and stored.total == lines[0].amount + Decimal("2.40")

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


def test_a_line_is_added_to_a_draft_from_the_schedules_codes(page, invoice):
    browser_login(page, "doctor", PASSWORD)
    page.goto(f"/invoices/{invoice.pk}/edit/")
    form = page.locator("#add-line")
    wanted = form.locator("option", has_text=re.compile(r"^493 ")).inner_text()  # as a person reads the list
    form.get_by_label("Code").select_option(label=wanted)
    form.get_by_label("Quantity").fill("2")
    form.get_by_role("button", name="Add line").click()
    page.wait_for_url(f"**/invoices/{invoice.pk}/edit/**")
    added = Invoice.objects.get(pk=invoice.pk).lines.get(code="493")
    assert (added.quantity, added.factor) == (2, Decimal("2.30"))  # the schedule's usual factor, none typed
    assert added.amount == rules.line_amount(added.unit_fee, Decimal("2.3"), 2)


def test_the_clinic_admin_fills_the_billing_settings(page, admin_user, clinic, settings):
    settings.SEGMENTA_REQUIRE_MFA = False
    browser_login(page, "boss", PASSWORD)
    page.goto("/invoices/settings/")
    if page.get_by_label("Password").count():  # the password again before the settings
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Confirm").click()
        page.wait_for_url("**/invoices/settings/**")
    page.get_by_label("Legal name").fill("Praxis Nord GbR")
    page.get_by_label("Street and number").fill("Hauptstraße 1")
    page.get_by_label("Postcode").fill("10115")
    page.get_by_label("Town").fill("Berlin")
    page.get_by_label("Country").fill("de")
    page.get_by_label("Tax number").fill("30/123/45678")
    page.get_by_label("IBAN").fill("DE00 1234")
    page.get_by_label("VAT exemption note").fill("Umsatzsteuerfrei nach §4 Nr. 14 UStG.")
    page.get_by_role("button", name="Save settings").click()
    field = page.locator(".field.invalid", has=page.get_by_label("IBAN"))
    assert "IBAN is not valid" in field.inner_text()  # said beside its field, nothing stored
    assert not BillingSettings.objects.filter(clinic=clinic).exists()
    page.get_by_label("IBAN").fill("DE89 3704 0044 0532 0130 00")
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_load_state()
    saved = BillingSettings.objects.get(clinic=clinic)
    assert (saved.legal_name, saved.iban, saved.country, saved.vat_exemption_note) == (
        "Praxis Nord GbR", "DE89370400440532013000", "DE", "Umsatzsteuerfrei nach §4 Nr. 14 UStG.")


def test_the_accountants_csv_holds_the_periods_issued_and_cancellation_invoices(page, invoice, clinic, doctor):
    from segmenta.billing import invoices

    today = datetime.date.today()
    start, end = today - datetime.timedelta(days=45), today - datetime.timedelta(days=1)
    patient = invoice.patient
    kept = invoices.issue(invoice, doctor, today=today - datetime.timedelta(days=40))
    cancelled = invoices.issue(draft(patient, doctor), doctor, today=today - datetime.timedelta(days=10))
    reversal = invoices.cancel(cancelled, doctor, today=today - datetime.timedelta(days=5))
    before = invoices.issue(draft(patient, doctor), doctor, today=start - datetime.timedelta(days=1))
    after = invoices.issue(draft(patient, doctor), doctor, today=today)
    draft(patient, doctor)  # a draft: never exported

    browser_login(page, "doctor", PASSWORD)
    page.goto("/invoices/")
    form = page.locator("#export")
    form.get_by_label("From").fill(start.isoformat())
    form.get_by_label("To").fill(end.isoformat())
    form.get_by_role("button", name="Download CSV").click()
    page.get_by_label("Password").fill(PASSWORD)  # an export asks for the password again
    with page.expect_download() as download:
        page.get_by_role("button", name="Confirm").click()
    assert download.value.suggested_filename == f"invoices-{start.isoformat()}-{end.isoformat()}.csv"
    with open(download.value.path(), encoding="utf-8", newline="") as fh:
        header, *rows = list(csv.reader(io.StringIO(fh.read())))

    assert header == ["number", "date", "kind", "cancels", "patient", "record_number", "net", "vat", "gross",
                      "paid", "status", "currency"]
    by_number = {row[0]: dict(zip(header, row)) for row in rows}
    assert len(by_number) == len(rows)
    # What the database holds for the period: issued (and since cancelled) and cancellation
    # invoices dated within it; not those before or after it, nor a draft.
    expected = Invoice.objects.filter(issue_date__range=(start, end)).exclude(status="draft").order_by("issue_date")
    assert [row[0] for row in rows] == [i.number for i in expected] == [kept.number, cancelled.number, reversal.number]
    assert not {before.number, after.number} & set(by_number)
    for stored in expected:
        row = by_number[stored.number]
        assert row["date"] == stored.issue_date.isoformat() and row["kind"] == stored.kind
        assert Decimal(row["net"]) == stored.net_total and Decimal(row["vat"]) == stored.vat_total
        assert Decimal(row["gross"]) == stored.total and row["currency"] == stored.currency
        assert row["record_number"] == patient.record_number and row["paid"] == "0.00"
    assert by_number[reversal.number]["cancels"] == cancelled.number
    assert Decimal(by_number[reversal.number]["gross"]) == -cancelled.total
    assert (by_number[cancelled.number]["status"], by_number[reversal.number]["status"]) == (
        "cancelled", "cancellation")


def test_an_unpriced_line_is_priced_and_the_country_set_in_the_draft(page, clinic, settings):
    """A Heilpraktiker's draft: the GebüH names no fee for the wheals, so the line waits for its
    price with a note beside it; the practitioner types the price and the recipient's country."""
    from segmenta.billing import invoices
    from segmenta.billing.tests.test_invoice_proposals import signed_session
    from segmenta.conftest import make_user

    settings.SEGMENTA_REQUIRE_MFA = False
    clinic.jurisdiction = "DE"
    clinic.save()
    billing_settings(clinic)
    healer = make_user("healer", clinic, "practitioner", "heilpraktiker")
    patient = make_patient(clinic, family="Brandt", given="Ida", address="Hauptplatz 1\n1010 Wien")
    session = signed_session(patient, healer, [("wheal", [{"region": "shoulder", "side": "right"}], "", "0.5", None)])
    invoice, _created = invoices.draft_for_session(session, healer)
    wheal = invoice.lines.get(code="25.1")
    browser_login(page, "healer", PASSWORD)
    page.goto(f"/invoices/{invoice.pk}/edit/")
    line = page.locator(f"#line-{wheal.pk}")
    assert line.get_by_role("note").filter(has_text="has no price yet").is_visible()
    line.get_by_label("Price per unit").fill("16.50")
    page.get_by_label("Country").fill("at")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(f"**/invoices/{invoice.pk}/edit/")
    stored = Invoice.objects.get(pk=invoice.pk)
    wheal.refresh_from_db()
    assert wheal.priced and wheal.amount == Decimal("16.50") and stored.recipient_country == "AT"
    line = page.locator(f"#line-{wheal.pk}")
    assert not line.get_by_role("note").filter(has_text="has no price yet").count()
    # Its number is still unconfirmed: that stays said beside it, and issuing is refused naming it.
    assert line.get_by_role("note").filter(has_text="could not be verified").is_visible()
    click_issue(page, invoice)
    page.wait_for_url(f"**/invoices/{invoice.pk}/edit/")
    assert page.get_by_text(f"Line {wheal.position} (25.1): the code number could not be verified").first.is_visible()
    assert Invoice.objects.get(pk=invoice.pk).status == "draft" and Invoice.objects.get(pk=invoice.pk).number is None


def test_a_practitioner_sends_the_reminders_of_an_overdue_invoice(page, invoice, doctor, clinic):
    """A part was paid, the rest is overdue: the first reminder states what is still open and its
    pay-by day; the next one is the second; after the last, none is offered any more."""
    from segmenta.billing import invoices

    today = datetime.date.today()
    issued = invoices.issue(invoice, doctor, today=today - datetime.timedelta(days=40))
    invoices.record_payment(issued, doctor, date=today - datetime.timedelta(days=5), amount="5.00", method="cash")
    browser_login(page, "doctor", PASSWORD)
    page.goto(f"/invoices/{issued.pk}/")
    assert page.get_by_text("Overdue").first.is_visible()
    page.get_by_role("button", name="Send the next reminder").click()
    page.wait_for_url(f"**/invoices/{issued.pk}/")
    first = issued.reminders.get()
    reminder_days = BillingSettings.objects.get(clinic=clinic).reminder_days
    assert (first.level, first.date, first.pay_by) == (1, today, today + datetime.timedelta(days=reminder_days))
    assert first.open_amount == issued.total - Decimal("5.00") and first.sent_by == doctor
    assert page.get_by_role("link", name=str(first)).is_visible()
    for _level in (2, 3):
        page.get_by_role("button", name="Send the next reminder").click()
        page.wait_for_url(f"**/invoices/{issued.pk}/")
    assert list(issued.reminders.order_by("level").values_list("level", flat=True)) == [1, 2, 3]
    assert not page.get_by_role("button", name="Send the next reminder").count()


def test_a_practitioner_cancels_an_issued_invoice(page, invoice, doctor):
    from segmenta.billing import invoices

    issued = invoices.issue(invoice, doctor)
    browser_login(page, "doctor", PASSWORD)
    page.goto(f"/invoices/{issued.pk}/")
    page.get_by_role("button", name="Cancel by a cancellation invoice").click()
    page.get_by_label("Password").fill(PASSWORD)  # cancelling asks for the password again
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(f"**/invoices/{issued.pk}/")
    page.get_by_role("button", name="Cancel by a cancellation invoice").click()
    page.wait_for_url(re.compile(rf"/invoices/(?!{issued.pk}/)\d+/$"))  # the cancellation invoice's page
    reversal = Invoice.objects.get(cancels=issued)
    assert page.url.endswith(f"/invoices/{reversal.pk}/")
    assert Invoice.objects.get(pk=issued.pk).status == "cancelled"
    assert reversal.status == "issued" and reversal.kind == "cancellation" and reversal.total == -issued.total
    assert [(line.code, line.amount) for line in reversal.lines.all()] == [
        (line.code, -line.amount) for line in issued.lines.all()]
    assert page.get_by_role("heading", name=reversal.number).is_visible()
