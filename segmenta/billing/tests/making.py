"""Invoices for the tests: billing settings, a signed session and a draft with lines written
as the GOÄ prices them (points × 0.0582873 at a factor)."""

import datetime
from decimal import Decimal

from django.utils import timezone

from segmenta.billing import rules
from segmenta.billing.models import BillingSettings, Invoice, InvoiceLine
from segmenta.billing.invoices import recalculate
from segmenta.treatment.models import Session
from segmenta.treatment.sessions import sign

POINT_VALUE = Decimal("0.0582873")


def billing_settings(clinic, **extra):
    values = {"legal_name": "Praxis Nord Dr. med. Nord", "street": "Hauptstraße 1", "postcode": "10115",
              "city": "Berlin", "country": "DE", "tax_number": "30/123/45678", "iban": "DE89370400440532013000",
              "bic": "COBADEFFXXX", "payment_days": 30,
              "vat_exemption_note": "Umsatzsteuerfrei nach §4 Nr. 14 UStG (Heilbehandlung).", **extra}
    return BillingSettings.objects.update_or_create(clinic=clinic, defaults=values)[0]


def signed_session(patient, user, days_ago=2):
    session = Session.objects.create(patient=patient, practitioner=user,
                                     started_at=timezone.now() - datetime.timedelta(days=days_ago))
    sign(session, user)
    return session


def add_line(invoice, code, points, factor="2.3", quantity=1, justification="", expense_price=None):
    position = invoice.lines.count() + 1
    if expense_price is not None:
        unit_fee, factor_value, threshold, ceiling = Decimal(expense_price), None, None, None
    else:
        unit_fee, factor_value = Decimal(points) * POINT_VALUE, Decimal(factor)
        threshold, ceiling = Decimal("2.3"), Decimal("3.5")
    line = InvoiceLine.objects.create(
        invoice=invoice, position=position, date=timezone.localdate(invoice.session.started_at), code=code,
        description=f"Service {code}", quantity=quantity, unit_fee=unit_fee, factor=factor_value,
        threshold=threshold, ceiling=ceiling, justification=justification, is_expense=factor_value is None,
        amount=rules.line_amount(unit_fee, factor_value, quantity))
    recalculate(invoice)
    return line


def draft(patient, user, session=None, lines=True):
    """A draft for a signed session with two fees and the procaine as an expense."""
    session = session or signed_session(patient, user)
    invoice = Invoice.objects.create(patient=patient, session=session, schedule="goae",
                                     recipient_name=patient.display_name,
                                     recipient_address="Lindenweg 5\n10115 Berlin", created_by=user)
    if lines:
        add_line(invoice, "267", 80)
        add_line(invoice, "490", 61, quantity=2)
        add_line(invoice, "§10", None, expense_price="1.85")
    return invoice
