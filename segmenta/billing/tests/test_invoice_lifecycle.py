"""An invoice's life: numbered gap-free when issued, frozen once issued (by the models and by
the database), justified above the threshold, corrected by a cancellation invoice, paid in
parts, overdue and reminded, and exported for the accountant."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from segmenta.billing import invoices, rules
from segmenta.billing.invoices import InvoiceError
from segmenta.billing.models import ImmutableInvoice, Invoice, InvoiceCounter, InvoiceLine, PaymentReminder
from segmenta.conftest import make_patient

from .making import add_line, billing_settings, draft, signed_session


@pytest.fixture
def setup(clinic, doctor):
    billing_settings(clinic, number_prefix="NT-")
    return make_patient(clinic, address="Lindenweg 5\n10115 Berlin")


def test_a_line_is_the_goae_fee_rounded_per_fee_times_the_quantity():
    # GOÄ 267 (80 points) at 2.3: 80 × 0.0582873 × 2.3 = 10.7249 → 10.72 per fee.
    assert rules.line_amount(Decimal(80) * Decimal("0.0582873"), Decimal("2.3"), 2) == Decimal("21.44")
    assert rules.line_amount(Decimal("1.85"), None, 3) == Decimal("5.55")


def test_a_draft_has_no_number_and_issuing_gives_the_next_of_the_year(setup, doctor):
    first, second = draft(setup, doctor), draft(setup, doctor)
    assert first.number is None
    invoices.issue(first, doctor, today=datetime.date(2026, 3, 1))
    invoices.issue(second, doctor, today=datetime.date(2026, 3, 2))
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.number, second.number) == ("NT-2026-000001", "NT-2026-000002")
    assert first.due_date == datetime.date(2026, 3, 31) and first.status == "issued"
    third = draft(setup, doctor)
    invoices.issue(third, doctor, today=datetime.date(2027, 1, 2))
    third.refresh_from_db()
    assert third.number == "NT-2027-000001"  # every year starts again at 1


def test_each_clinic_counts_its_own_invoices(setup, doctor, other_clinic, outsider):
    billing_settings(other_clinic)
    invoices.issue(draft(setup, doctor), doctor)
    theirs = draft(make_patient(other_clinic, address="Weg 1\n80331 München"), outsider)
    invoices.issue(theirs, outsider)
    theirs.refresh_from_db()
    assert theirs.number.endswith("-000001")


def test_a_failed_issue_takes_no_number(setup, doctor):
    unjustified = draft(setup, doctor)
    add_line(unjustified, "268", 120, factor="3.0")
    with pytest.raises(InvoiceError):
        invoices.issue(unjustified, doctor)
    unjustified.refresh_from_db()
    assert unjustified.number is None and unjustified.status == "draft"
    assert not InvoiceCounter.objects.filter(last__gt=0).exists()
    good = draft(setup, doctor)
    invoices.issue(good, doctor)
    good.refresh_from_db()
    assert good.number.endswith("-000001")


def test_a_failure_after_the_number_was_taken_rolls_the_number_back(setup, doctor):
    invoice = draft(setup, doctor)
    with pytest.raises(RuntimeError), transaction.atomic():
        invoices.issue(invoice, doctor)
        raise RuntimeError("the PDF could not be written")  # anything later in the same transaction
    invoice.refresh_from_db()
    assert invoice.number is None
    invoices.issue(invoice, doctor)
    invoice.refresh_from_db()
    assert invoice.number.endswith("-000001")


def test_above_the_threshold_a_justification_is_required_naming_the_line(setup, doctor):
    invoice = draft(setup, doctor)
    line = add_line(invoice, "268", 120, factor="3.0")
    with pytest.raises(InvoiceError) as refused:
        invoices.issue(invoice, doctor)
    assert "Line 4 (268)" in str(refused.value) and "justification" in str(refused.value)
    invoices.update_draft(invoice, doctor, recipient_name=invoice.recipient_name,
                          recipient_address=invoice.recipient_address,
                          lines={line.pk: {"quantity": "1", "factor": "3,0",
                                           "justification": "Markedly difficult infiltration near the scar"}})
    invoices.issue(invoice, doctor)
    assert Invoice.objects.get(pk=invoice.pk).status == "issued"


def test_above_the_highest_factor_the_draft_refuses(setup, doctor):
    invoice = draft(setup, doctor)
    line = invoice.lines.first()
    with pytest.raises(InvoiceError, match="at most"):
        invoices.update_draft(invoice, doctor, recipient_name="X", recipient_address="",
                              lines={line.pk: {"quantity": 1, "factor": "3.6", "justification": "why"}})
    assert InvoiceLine.objects.get(pk=line.pk).factor == Decimal("2.30")


def test_editing_a_draft_changes_quantities_factors_and_removes_lines(setup, doctor):
    invoice = draft(setup, doctor)
    first, second, expense = invoice.lines.all()
    invoices.update_draft(invoice, doctor, recipient_name="Erika Muster", recipient_address="Neue Str. 2\n10117 Berlin",
                          lines={first.pk: {"quantity": "2", "factor": "1.8", "justification": ""},
                                 second.pk: {"remove": True}})
    invoice.refresh_from_db()
    kept = list(invoice.lines.all())
    assert [line.code for line in kept] == ["267", "§10"] and [line.position for line in kept] == [1, 2]
    assert kept[0].amount == rules.line_amount(kept[0].unit_fee, Decimal("1.8"), 2)
    assert invoice.total == kept[0].amount + kept[1].amount
    assert invoice.recipient_address == "Neue Str. 2\n10117 Berlin"


def test_an_issued_invoice_and_its_lines_refuse_every_change(setup, doctor):
    invoice = invoices.issue(draft(setup, doctor), doctor)
    invoice = Invoice.objects.get(pk=invoice.pk)
    invoice.total = Decimal("1.00")
    with pytest.raises(ImmutableInvoice):
        invoice.save()
    with pytest.raises(ImmutableInvoice):
        invoice.delete()
    line = invoice.lines.first()
    line.factor = Decimal("3.5")
    with pytest.raises(ImmutableInvoice):
        line.save()
    with pytest.raises(ImmutableInvoice):
        line.delete()
    with pytest.raises(ImmutableInvoice):
        add_line(invoice, "266", 60)
    with pytest.raises(InvoiceError):
        invoices.update_draft(invoice, doctor, recipient_name="Y", recipient_address="", lines={})


def test_the_database_refuses_changes_to_an_issued_invoice_past_the_models(setup, doctor):
    invoice = invoices.issue(draft(setup, doctor), doctor)
    line = invoice.lines.first()
    for statement, params in [("UPDATE billing_invoice SET total = 1 WHERE id = %s", [invoice.pk]),
                              ("UPDATE billing_invoice SET number = 'X' WHERE id = %s", [invoice.pk]),
                              ("UPDATE billing_invoice SET status = 'draft' WHERE id = %s", [invoice.pk]),
                              ("UPDATE billing_invoiceline SET amount = 1 WHERE id = %s", [line.pk])]:
        with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, params)
    stored = Invoice.objects.get(pk=invoice.pk)
    assert (stored.total, stored.status, stored.lines.first().amount) == (invoice.total, "issued", line.amount)


def test_a_cancellation_invoice_reverses_every_line_with_its_own_number(setup, doctor):
    original = invoices.issue(draft(setup, doctor), doctor)
    reversal = invoices.cancel(original, doctor)
    original.refresh_from_db()
    assert original.status == "cancelled" and reversal.cancels == original
    assert reversal.kind == "cancellation" and reversal.status == "issued"
    assert reversal.number != original.number and reversal.number.endswith("-000002")
    assert reversal.total == -original.total
    assert [line.amount for line in reversal.lines.all()] == [-line.amount for line in original.lines.all()]
    with pytest.raises(InvoiceError):
        invoices.cancel(original, doctor)  # only once
    # Then the session may have a new invoice.
    again = invoices.issue(draft(setup, doctor, session=original.session), doctor)
    assert again.number.endswith("-000003") and again.session == original.session


def test_payments_make_an_invoice_partly_paid_then_paid(setup, doctor):
    invoice = invoices.issue(draft(setup, doctor), doctor)
    today = invoice.issue_date
    assert invoices.state(invoice, today) == "open"
    invoices.record_payment(invoice, doctor, date=today, amount="10,00", method="transfer")
    assert invoices.state(Invoice.objects.get(pk=invoice.pk), today) == "partly_paid"
    with pytest.raises(InvoiceError, match="Amount"):
        invoices.record_payment(invoice, doctor, date=today, amount=str(invoice.total), method="cash")
    invoices.record_payment(invoice, doctor, date=today, amount=str(invoice.total - 10), method="cash")
    assert invoices.state(Invoice.objects.get(pk=invoice.pk), today) == "paid"
    assert invoices.outstanding(invoice) == 0


def test_a_draft_takes_no_payment(setup, doctor):
    with pytest.raises(InvoiceError):
        invoices.record_payment(draft(setup, doctor), doctor, date=datetime.date.today(), amount="1", method="cash")


def test_the_overdue_list_holds_unpaid_invoices_past_their_due_date(setup, doctor):
    issued_on = datetime.date(2026, 1, 5)
    late = invoices.issue(draft(setup, doctor), doctor, today=issued_on)
    paid = invoices.issue(draft(setup, doctor), doctor, today=issued_on)
    invoices.record_payment(paid, doctor, date=issued_on, amount=str(paid.total), method="cash")
    recent = invoices.issue(draft(setup, doctor), doctor, today=datetime.date(2026, 2, 20))
    on = datetime.date(2026, 3, 1)
    listed = list(invoices.overdue(Invoice.objects.filter(clinic=setup.clinic), today=on))
    assert listed == [late]
    assert invoices.state(late, on) == "overdue" and invoices.state(recent, on) == "open"
    assert set(invoices.listed(Invoice.objects.filter(clinic=setup.clinic), "paid", on)) == {paid}


def test_reminders_go_first_second_last_and_only_when_overdue(setup, doctor):
    invoice = invoices.issue(draft(setup, doctor), doctor, today=datetime.date(2026, 1, 5))
    with pytest.raises(InvoiceError):
        invoices.send_reminder(invoice, doctor, today=datetime.date(2026, 1, 10))
    levels = [invoices.send_reminder(invoice, doctor, today=datetime.date(2026, 2, 10 + n)).level for n in range(3)]
    assert levels == [1, 2, 3]
    first = PaymentReminder.objects.get(invoice=invoice, level=1)
    assert first.pay_by == datetime.date(2026, 2, 24)  # 14 days by default
    with pytest.raises(InvoiceError):
        invoices.send_reminder(invoice, doctor, today=datetime.date(2026, 3, 1))


def test_the_csv_export_lists_the_periods_invoices_and_cancellations(setup, doctor):
    setup.family_name = "=Evil"
    setup.save()
    original = invoices.issue(draft(setup, doctor), doctor, today=datetime.date(2026, 5, 3))
    reversal = invoices.cancel(original, doctor, today=datetime.date(2026, 5, 4))
    kept = invoices.issue(draft(setup, doctor), doctor, today=datetime.date(2026, 5, 5))
    invoices.record_payment(kept, doctor, date=datetime.date(2026, 5, 6), amount="5.00", method="cash")
    invoices.issue(draft(setup, doctor), doctor, today=datetime.date(2026, 6, 1))  # outside
    draft(setup, doctor)  # never exported
    text = invoices.export_csv(Invoice.objects.filter(clinic=setup.clinic), datetime.date(2026, 5, 1),
                               datetime.date(2026, 5, 31), today=datetime.date(2026, 5, 10))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["number"] for r in rows] == [original.number, reversal.number, kept.number]
    assert rows[0]["status"] == "cancelled" and rows[1]["kind"] == "cancellation"
    assert rows[1]["cancels"] == original.number and rows[1]["gross"] == f"{-original.total:.2f}"
    assert rows[2]["paid"] == "5.00" and rows[2]["status"] == "partly_paid" and rows[2]["vat"] == "0.00"
    assert rows[0]["patient"].startswith("'=Evil")  # no formula for a spreadsheet to run


def test_issuing_needs_the_clinics_seller_data(clinic, doctor):
    patient = make_patient(clinic, address="Weg 1\n10115 Berlin")
    with pytest.raises(InvoiceError, match="billing settings"):
        invoices.issue(draft(patient, doctor), doctor)


def test_a_draft_of_an_unsigned_session_is_refused(setup, doctor):
    from segmenta.treatment.models import Session
    from django.utils import timezone

    session = Session.objects.create(patient=setup, practitioner=doctor, started_at=timezone.now())
    with pytest.raises(InvoiceError, match="signed"):
        invoices.draft_for_session(session, doctor)


def test_a_signed_sessions_draft_starts_from_its_proposal(setup, doctor):
    """Needs the proposal engine and the GOÄ data: a wheal session in a German clinic."""
    from django.utils import timezone

    from segmenta.treatment.models import Injection, Session
    from segmenta.treatment.sessions import sign

    setup.clinic.jurisdiction = "DE"
    setup.clinic.save()
    started = timezone.now() - datetime.timedelta(days=1)
    session = Session.objects.create(patient=setup, practitioner=doctor, started_at=started)
    Injection.objects.create(session=session, order=1, time=started, target="wheal",
                             regions=[{"choir": 107, "side": "right"}], concentration_percent=1, volume_ml=1,
                             verdict="ok", mg=10, cumulative_mg=10, performed_by=doctor)
    sign(session, doctor)
    invoice, created = invoices.draft_for_session(session, doctor)
    assert created and invoice.schedule == "goae"
    codes = [line.code for line in invoice.lines.all()]
    assert "266" in codes
    wheal = invoice.lines.get(code="266")
    assert wheal.factor is not None and wheal.threshold == Decimal("2.3") and wheal.ceiling == Decimal("3.5")
    assert wheal.amount == rules.line_amount(wheal.unit_fee, wheal.factor, wheal.quantity)
    assert invoice.recipient_address == "Lindenweg 5\n10115 Berlin"
    again, created_again = invoices.draft_for_session(session, doctor)
    assert again == invoice and not created_again

    # The procaine has no price recorded: its line is kept, unpriced, until the price is entered.
    drug = invoice.lines.get(code="§10")
    assert not drug.priced and drug.amount == 0
    invoices.update_draft(invoice, doctor, recipient_name=invoice.recipient_name,
                          recipient_address=invoice.recipient_address, lines={drug.pk: {"quantity": 1, "price": "0.90"}})

    # Once issued, the session is not invoiced a second time; after a cancellation it may be.
    billing_settings(setup.clinic)
    issued = invoices.issue(invoice, doctor)
    with pytest.raises(InvoiceError, match=issued.number) as refused:
        invoices.draft_for_session(session, doctor)
    assert refused.value.field == "session"
    assert Invoice.objects.filter(session=session).count() == 1
    invoices.cancel(issued, doctor)
    fresh, created = invoices.draft_for_session(session, doctor)
    assert created and fresh.status == "draft" and fresh != issued
