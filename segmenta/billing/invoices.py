"""Invoices as the practice handles them: a draft from a signed session (its proposal's
lines), edited, issued with the next number, cancelled by a cancellation invoice, paid and
reminded. Every change is one transaction with its audit event; the rules themselves are in
rules.py. Pages, the API and the command all come here."""

import datetime
import hashlib
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import DecimalField, F, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from segmenta import l10n
from segmenta.audit.trail import record
from segmenta.knowledge import localize, wording
from segmenta.knowledge.phrases import Phrase
from segmenta.treatment.models import Session

from . import fees, rules
from .models import BillingSettings, Invoice, InvoiceCounter, InvoiceLine, Payment, PaymentReminder, money


class InvoiceError(ValueError):
    """An invoice action refused, with a message naming why (the field or the line)."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


def settings_of(clinic):
    """The clinic's billing settings (unsaved defaults until an admin saves them)."""
    found = BillingSettings.objects.filter(clinic=clinic).first()
    return found or BillingSettings(clinic=clinic)


def with_paid(queryset):
    """Invoices with ``paid``: the sum of their payments (0 without any)."""
    zero = Value(Decimal("0.00"), output_field=DecimalField(max_digits=10, decimal_places=2))
    return queryset.annotate(paid=Coalesce(Sum("payments__amount"), zero))


def state(invoice, today=None):
    """draft, cancelled, cancellation, or (issued) open, partly_paid, paid, overdue."""
    if invoice.is_draft:
        return "draft"
    if invoice.status == Invoice.Status.CANCELLED:
        return "cancelled"
    if invoice.is_cancellation:
        return "cancellation"
    paid = getattr(invoice, "paid", None)
    if paid is None:
        paid = invoice.payments.aggregate(total=Sum("amount"))["total"] or Decimal("0")
    return rules.payment_state(invoice.total, paid, invoice.due_date, today or timezone.localdate())


STATE_LABELS = {
    "draft": gettext_lazy("Draft"), "cancelled": gettext_lazy("Cancelled"),
    "cancellation": gettext_lazy("Cancellation invoice"), rules.OPEN: gettext_lazy("Open"),
    rules.PARTLY_PAID: gettext_lazy("Partly paid"), rules.PAID: gettext_lazy("Paid"),
    rules.OVERDUE: gettext_lazy("Overdue"),
}


def state_label(key):
    return str(STATE_LABELS.get(key, key))


# --- Drafts -----------------------------------------------------------------------------

def said(text):
    """An engine's warning or refusal in the active language (a phrase through the catalogs;
    plain text as it is)."""
    return wording.render(text.data()) if isinstance(text, Phrase) else str(text)


def _proposal(session):
    """The session's invoice proposal (segmenta.billing.proposal); refused with its reason
    where no fee schedule fits the clinic and practitioner."""
    from .proposal import ProposalRefused, propose_invoice

    try:
        return propose_invoice(session)
    except ProposalRefused as refused:
        raise InvoiceError(_("No invoice can be proposed: %(reason)s") % {"reason": said(refused.message)},
                           refused.field) from refused


def _decimal(value, field, *, minimum=None, allow_none=False):
    if value in (None, "") and allow_none:
        return None
    try:
        number = Decimal(str(value).replace(",", ".").strip())
    except (InvalidOperation, ValueError):
        raise InvoiceError(_("%(field)s: enter a number.") % {"field": field}, field) from None
    if not number.is_finite() or (minimum is not None and number < minimum):
        raise InvoiceError(_("%(field)s: enter a number of at least %(minimum)s.")
                           % {"field": field, "minimum": minimum}, field)
    return number


def _unit_fee(clinic, schedule_id, line):
    """A proposal line's fee at factor 1: exact from the code's points where the schedule
    prices by points, else the proposal's own, else its amount back through quantity and factor."""
    entry = fees.code(clinic, line.get("fee_code"))
    exact = fees.simple_fee(clinic, schedule_id, entry) if entry else None
    if exact is not None and entry.get("points"):
        return exact
    if line.get("unit_fee") is not None:
        return Decimal(str(line["unit_fee"]))
    amount = Decimal(str(line.get("amount") or 0))
    quantity = Decimal(str(line.get("quantity") or 1))
    factor = Decimal(str(line["factor"])) if line.get("factor") else Decimal(1)
    return (amount / quantity / factor).quantize(Decimal("0.0000001"))


def _optional(value):
    return None if value in (None, "") else Decimal(str(value))


def _used(item, patient):
    """What an expense line used, in the patient's language as the whole invoice is: the
    product, the volume, the share of a multi-dose vial and the lots ("Procaine 1 % 2 mL
    ampoule, 0,5 mL, Charge D-1")."""
    with patient.in_own_language():
        parts = [item["product"], f"{l10n.number(item['volume_ml'])} mL"]
        if item.get("share"):
            parts.append(_("%(share)s of a %(volume)s mL vial") % {
                "share": l10n.number(item["share"]), "volume": l10n.number(item["unit_volume_ml"])})
        if item.get("lots"):
            parts.append(_("lot %(numbers)s") % {"numbers": ", ".join(item["lots"])})
        return ", ".join(parts)


def _lines_from_proposal(invoice, proposal, on):
    """Every line of the proposal. One without a price (the data names none: a GebüH fee,
    Tarif 590's time, a product without a price) is kept unpriced, for the practitioner to
    enter its price; the editor says so beside it until then, and issuing refuses it."""
    threshold, ceiling, _default = fees.factor_limits(invoice.clinic, invoice.schedule)
    for position, line in enumerate(proposal.get("lines", []), start=1):
        factor = _optional(line.get("factor"))
        quantity = int(line.get("quantity") or 1)
        unit_fee = _unit_fee(invoice.clinic, invoice.schedule, line)
        entry = fees.code(invoice.clinic, line.get("fee_code"))
        description = fees.describe(entry, invoice.patient.language) if entry else line.get("description")
        if entry and line.get("item"):
            description = f"{description}: {_used(line['item'], invoice.patient)}"
        InvoiceLine.objects.create(
            invoice=invoice, position=position, date=on, code=str(line["code"]),
            description=str(description or line["code"])[:300], quantity=quantity,
            unit_fee=unit_fee, factor=factor,
            threshold=_optional(line.get("threshold", threshold)) if factor is not None else None,
            ceiling=_optional(line.get("ceiling", ceiling)) if factor is not None else None,
            is_expense=bool(line.get("is_expense", factor is None)), fee_code=line.get("fee_code") or "",
            priced=bool(line.get("priced", True)), amount=rules.line_amount(unit_fee, factor, quantity))


def draft_for_session(session, user, *, request=None):
    """The draft invoice of a signed session: the one already begun, else a new one from the
    session's proposal, addressed to the patient as the chart has them."""
    if not session.signed:
        raise InvoiceError(_("Only a signed session is invoiced."), "session")
    with transaction.atomic():
        # The session's row locked: two clicks on "Invoice" (or two tabs) wait for each other
        # instead of both finding no invoice and making two.
        list(Session.objects.select_for_update().filter(pk=session.pk, clinic_id=session.clinic_id)
             .values_list("pk", flat=True))
        existing = Invoice.objects.filter(clinic_id=session.clinic_id, session=session, kind=Invoice.Kind.INVOICE,
                                          status__in=[Invoice.Status.DRAFT, Invoice.Status.ISSUED]).first()
        if existing is not None and existing.status == Invoice.Status.ISSUED:
            # Billing a session twice is what a cancellation invoice is there to prevent.
            raise InvoiceError(_("This session is invoiced already (%(number)s); cancel that invoice to "
                                 "invoice the session again.") % {"number": existing.number}, "session")
        if existing is not None:
            return existing, False
        patient = session.patient
        proposal = _proposal(session)
        billing = settings_of(patient.clinic)
        invoice = Invoice.objects.create(
            patient=patient, session=session, schedule=proposal.get("schedule") or "",
            currency=proposal.get("currency") or "EUR", recipient_name=patient.display_name,
            recipient_address=patient.address, created_by=user,
            recipient_country=rules.country_of_address(patient.address) or _clinic_country(patient.clinic, billing))
        _lines_from_proposal(invoice, proposal, timezone.localdate(session.started_at))
        recalculate(invoice)
        record("create", request=request, user=user, patient=patient, obj=invoice,
               detail={"invoice": "draft", "session": session.pk, "schedule": invoice.schedule,
                       "lines": invoice.lines.count()})
    invoice.warnings = [said(w) for w in proposal.get("warnings", [])]
    return invoice, True


def _clinic_country(clinic, billing):
    """Where the clinic is: its billing settings' country once saved, else its jurisdiction's."""
    if billing.pk and billing.country:
        return billing.country
    return (clinic.jurisdiction or "").split("-")[0] or billing.country or "DE"


def recalculate(invoice):
    net, vat, gross = rules.totals(invoice.lines.values_list("amount", flat=True))
    invoice.net_total, invoice.vat_total, invoice.total = net, vat, gross
    invoice.save(update_fields=["net_total", "vat_total", "total"])


def _draft(invoice):
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk, clinic=invoice.clinic_id)
    if not locked.is_draft:
        raise InvoiceError(_("Invoice %(number)s is issued and cannot be changed; cancel it instead.")
                           % {"number": locked.number}, "status")
    return locked


def update_draft(invoice, user, *, recipient_name, recipient_address, lines, recipient_country=None,
                 request=None):
    """Save a draft's recipient and its lines' quantities, factors, prices and justifications.
    ``lines``: {line id: {"quantity", "factor", "price", "justification", "remove"}}."""
    with transaction.atomic():
        invoice = _draft(invoice)
        if not (recipient_name or "").strip():
            raise InvoiceError(_("Recipient: enter the name the invoice is addressed to."), "recipient_name")
        invoice.recipient_name = recipient_name.strip()[:200]
        invoice.recipient_address = "\n".join((recipient_address or "").strip().splitlines())[:500]
        if recipient_country is not None:
            country = recipient_country.strip().upper()
            if not rules.is_country_code(country):
                raise InvoiceError(_("Recipient's country: enter its two-letter ISO code, e.g. DE, AT or CH."),
                                   "recipient_country")
            invoice.recipient_country = country
        invoice.save(update_fields=["recipient_name", "recipient_address", "recipient_country"])
        for line in invoice.lines.all():
            changes = lines.get(line.pk)
            if changes is None:
                continue
            if changes.get("remove"):
                line.delete()
                continue
            label = _("Line %(position)s (%(code)s)") % {"position": line.position, "code": line.code}
            quantity = _decimal(changes.get("quantity", line.quantity), f"{label}: {_('quantity')}",
                                minimum=Decimal(1))
            if quantity != quantity.to_integral_value() or quantity > 99:
                raise InvoiceError(_("%(field)s: enter a whole number from 1 to 99.")
                                   % {"field": f"{label}: {_('quantity')}"}, "quantity")
            line.quantity = int(quantity)
            if line.factor is not None:
                line.factor = _decimal(changes.get("factor", line.factor), f"{label}: {_('factor')}",
                                       minimum=Decimal(1)).quantize(Decimal("0.01"))
                if line.ceiling is not None and line.factor > line.ceiling:
                    raise InvoiceError(_("%(line)s: the factor may be at most %(ceiling)s.")
                                       % {"line": label, "ceiling": money(line.ceiling)}, "factor")
            price = changes.get("price")
            if line.factor is None and price not in (None, ""):
                line.unit_fee = _decimal(price, f"{label}: {_('price')}", minimum=Decimal("0.01")).quantize(
                    Decimal("0.01"))
                line.priced = True
            line.justification = (changes.get("justification", line.justification) or "").strip()[:500]
            line.amount = rules.line_amount(line.unit_fee, line.factor, line.quantity)
            line.save()
        _renumber(invoice)
        recalculate(invoice)
        record("update", request=request, user=user, patient=invoice.patient, obj=invoice,
               detail={"invoice": "draft edited", "lines": invoice.lines.count(), "total": str(invoice.total)})
    return invoice


def _renumber(invoice):
    for position, line in enumerate(invoice.lines.order_by("position", "id"), start=1):
        if line.position != position:
            line.position = position
            line.save(update_fields=["position"])


def add_line(invoice, user, *, code_id, quantity=1, factor=None, price=None, request=None):
    """Add a line to a draft from one of its schedule's codes (an expense or a code without a
    price in the data takes ``price``)."""
    with transaction.atomic():
        invoice = _draft(invoice)
        found = next((c for c in fees.codes(invoice.clinic, invoice.schedule) if c["id"] == code_id), None)
        if found is None:
            raise InvoiceError(_("Code: choose one of the fee schedule's codes."), "code")
        quantity = _decimal(quantity or 1, _("quantity"), minimum=Decimal(1))
        unit_fee = found["unit_fee"]
        if unit_fee is None:
            unit_fee = _decimal(price, _("price"), minimum=Decimal("0.01"), allow_none=True)
            if unit_fee is None:
                raise InvoiceError(_("Price: the fee schedule names no price for %(code)s; enter it.")
                                   % {"code": found["code"]}, "price")
        threshold, ceiling, default = fees.factor_limits(invoice.clinic, invoice.schedule)
        line_factor = None
        if not found["is_expense"] and default is not None:
            line_factor = _decimal(factor, _("factor"), minimum=Decimal(1), allow_none=True) or default
            if ceiling is not None and line_factor > ceiling:
                raise InvoiceError(_("Factor: at most %(ceiling)s.") % {"ceiling": money(ceiling)}, "factor")
        on = timezone.localdate(invoice.session.started_at) if invoice.session else timezone.localdate()
        line = InvoiceLine.objects.create(
            invoice=invoice, position=invoice.lines.count() + 1, date=on, code=found["code"],
            description=fees.describe(fees.code(invoice.clinic, found["id"]), invoice.patient.language)[:300], quantity=int(quantity), unit_fee=unit_fee, factor=line_factor,
            threshold=threshold if line_factor is not None else None,
            ceiling=ceiling if line_factor is not None else None, is_expense=line_factor is None,
            fee_code=found["id"], amount=rules.line_amount(unit_fee, line_factor, int(quantity)))
        recalculate(invoice)
        record("update", request=request, user=user, patient=invoice.patient, obj=invoice,
               detail={"invoice": "line added", "code": line.code, "amount": str(line.amount)})
    return line


def discard(invoice, user, *, request=None):
    with transaction.atomic():
        invoice = _draft(invoice)
        patient = invoice.patient
        record("delete", request=request, user=user, patient=patient, obj=invoice,
               detail={"invoice": "draft discarded"})
        invoice.lines.all().delete()
        invoice.delete()


# --- Issuing ------------------------------------------------------------------------------

def problem_message(problem):
    label = _("Line %(position)s (%(code)s)") % {"position": problem.position, "code": problem.code}
    if problem.problem == "ceiling":
        return _("%(line)s: the factor %(factor)s is above the highest factor %(limit)s.") % {
            "line": label, "factor": money(problem.factor), "limit": money(problem.limit)}
    return _("%(line)s: a factor of %(factor)s is above the threshold of %(limit)s and needs a written "
             "justification.") % {"line": label, "factor": money(problem.factor), "limit": money(problem.limit)}


def _next_number(clinic, year, prefix):
    """Take the clinic's next number of ``year`` (call inside the issuing transaction): the
    counter row is locked until it commits, and rolled back with it, so no number is lost."""
    try:
        with transaction.atomic():  # the year's first invoice creates the row; a concurrent one finds it
            InvoiceCounter.objects.get_or_create(clinic=clinic, year=year)
    except IntegrityError:
        pass
    counter = InvoiceCounter.objects.select_for_update().get(clinic=clinic, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return rules.invoice_number(prefix, year, counter.last)


def _vat_note(billing, invoice):
    """Why the invoice charges no VAT, as printed (a German invoice must say, §14 (4) No. 8
    UStG): the clinic's own words, else its fee schedule's in the language the invoice is
    printed in, the patient's."""
    if billing.vat_exemption_note.strip():
        return billing.vat_exemption_note
    with invoice.patient.in_own_language():
        return fees.vat_exemption_note(invoice.clinic, invoice.schedule)


def _printed(invoice):
    """What the printed invoice shows besides its seller and recipient, as it is at issuing:
    the patient's name and birth date, the fee schedule's name in the invoice's language and
    its VAT exemption code (Factur-X BT-121)."""
    patient = invoice.patient
    found = fees.schedule(invoice.clinic, invoice.schedule) or {}
    with patient.in_own_language():
        schedule_name = localize.text(found) if found else ""
    return {"patient_name": f"{patient.given_name} {patient.family_name}",
            "birth_date": patient.birth_date.isoformat(), "schedule_name": schedule_name,
            "vat_exemption_code": found.get("vat_exemption_code"),
            "letterhead": letterhead_of(invoice.clinic)}


def letterhead_of(clinic):
    """The clinic's letterhead as the invoice prints it at issuing, so a reprint is the same
    document after the clinic edits its details. The logo is kept as its file's fingerprint
    only (an image in every invoice row would be heavy): a reprint shows the clinic's logo
    while it is still that image, and none once it was replaced."""
    return {"name": clinic.name, "letterhead": clinic.letterhead, "address_lines": clinic.address_lines(),
            "phone": clinic.phone, "email": clinic.email, "logo_sha256": logo_fingerprint(clinic)}


def logo_fingerprint(clinic):
    """The SHA-256 of the clinic's logo file, or "" when it has none (or its file is gone)."""
    if not clinic.logo:
        return ""
    try:
        with clinic.logo.open("rb") as image:
            return hashlib.sha256(image.read()).hexdigest()
    except OSError:
        return ""


def _seller(billing, invoice):
    return {"name": billing.seller_name(), "street": billing.street, "postcode": billing.postcode,
            "city": billing.city, "country": billing.country, "tax_number": billing.tax_number,
            "vat_id": billing.vat_id, "iban": billing.iban, "bic": billing.bic, "bank": billing.bank_name,
            "vat_note": _vat_note(billing, invoice), "payment_days": billing.payment_days,
            "phone": billing.clinic.phone, "email": billing.clinic.email}


def _fee_entry(line, entries):
    """The knowledge base's entry of a line's code (``entries``: the schedule's): the entry it
    was made from, else (a line written before lines kept their entry) the one of its code;
    None when the data holds neither (any more)."""
    if line.fee_code:
        return next((entry for entry in entries if entry["id"] == line.fee_code), None)
    return next((entry for entry in entries if entry["code"] == line.code), None)


def line_notes(invoice, lines):
    """What must be done to each line before the invoice can be issued, by line: [(line,
    [message, …])] for the lines with something to do. A line without its price, and a code
    whose number is a placeholder or not verified (fee_codes.yaml ``number_status``), or is not
    the schedule's at all: its entry is gone, or its number was replaced since the line was made
    (the practice's override of a placeholder), so the line still carries the old one."""
    entries = fees.entries(invoice.clinic, invoice.schedule)  # read once: the page's queries stay flat
    found = []
    for line in lines:
        notes = []
        label = _("Line %(position)s (%(code)s)") % {"position": line.position, "code": line.code}
        if not line.priced:
            notes.append(_("%(line)s has no price yet: enter its price before issuing.") % {"line": label})
        entry = _fee_entry(line, entries)
        status = (entry or {}).get("number_status")
        if entry is None or entry["code"] != line.code:
            notes.append(_("%(line)s: the code %(code)s is not the fee schedule's (any more); remove the line "
                           "and add it again from the schedule's codes before issuing.")
                         % {"line": label, "code": line.code})
        elif status == "placeholder":
            notes.append(_("%(line)s: the code number is a placeholder, not the fee schedule's; the practice "
                           "must replace it with the real number before issuing.") % {"line": label})
        elif status == "unverified":
            notes.append(_("%(line)s: the code number could not be verified in the fee schedule; the practice "
                           "must confirm it before issuing.") % {"line": label})
        if notes:
            found.append((line, notes))
    return found


def _issue_locked(invoice, user, today):
    lines = list(invoice.lines.all())
    if not lines:
        raise InvoiceError(_("An invoice without lines cannot be issued."), "lines")
    # A cancellation repeats an issued invoice's lines as they were, whatever the data says now.
    to_do = [] if invoice.is_cancellation else line_notes(invoice, lines)
    if to_do:
        line, notes = to_do[0]
        raise InvoiceError(notes[0], "price" if not line.priced else "code")
    found = rules.problems(lines)
    if found:
        raise InvoiceError(problem_message(found[0]), "justification" if found[0].problem == "justification"
                           else "factor")
    if invoice.total <= 0 and not invoice.is_cancellation:
        raise InvoiceError(_("An invoice's total must be more than zero."), "total")
    billing = settings_of(invoice.clinic)
    missing = billing.missing()
    if missing:
        raise InvoiceError(_("The clinic's billing settings lack: %(fields)s.") % {"fields": ", ".join(missing)},
                           "settings")
    if not invoice.recipient_address.strip():
        raise InvoiceError(_("Recipient's address: an invoice needs the address it is sent to."),
                           "recipient_address")
    invoice.number = _next_number(invoice.clinic, today.year, billing.number_prefix)
    invoice.status = Invoice.Status.ISSUED
    invoice.issued_at = timezone.now()
    invoice.issue_date = today
    invoice.due_date = today if invoice.is_cancellation else rules.due(today, billing.payment_days)
    invoice.issued_by = user
    invoice.language = invoice.patient.language
    invoice.seller = _seller(billing, invoice)
    invoice.printed = _printed(invoice)
    if invoice.is_cancellation:
        # A cancellation names the patient as the invoice it cancels did, in its language,
        # whatever the chart says now; its own letterhead is the clinic's of today.
        original = invoice.cancels
        invoice.language = original.language or invoice.language
        invoice.printed.update({key: value for key, value in (original.printed or {}).items()
                                if key != "letterhead"})
    invoice.save()
    return invoice


def issue(invoice, user, *, request=None, today=None):
    """Issue a draft: check its lines, take the next number and freeze it. Nothing is kept
    (no number taken) when anything fails."""
    today = today or timezone.localdate()
    with transaction.atomic():
        invoice = _draft(invoice)
        _issue_locked(invoice, user, today)
        record("update", request=request, user=user, patient=invoice.patient, obj=invoice,
               detail={"invoice": "issued", "number": invoice.number, "total": str(invoice.total)})
    return invoice


def cancel(invoice, user, *, request=None, today=None):
    """Cancel an issued invoice by a cancellation invoice: its lines with negative amounts,
    its own number, referring to the original, which is marked cancelled."""
    today = today or timezone.localdate()
    with transaction.atomic():
        original = Invoice.objects.select_for_update().get(pk=invoice.pk, clinic=invoice.clinic_id)
        if original.status != Invoice.Status.ISSUED or original.is_cancellation:
            raise InvoiceError(_("Only an issued invoice can be cancelled."), "status")
        if original.payments.exists():
            raise InvoiceError(_("This invoice has payments recorded; it cannot be cancelled."), "payments")
        reversal = Invoice.objects.create(
            patient=original.patient, session=original.session, kind=Invoice.Kind.CANCELLATION, cancels=original,
            schedule=original.schedule, recipient_name=original.recipient_name,
            recipient_address=original.recipient_address, recipient_country=original.recipient_country,
            currency=original.currency, created_by=user)
        for line in original.lines.all():
            InvoiceLine.objects.create(
                invoice=reversal, position=line.position, date=line.date, code=line.code,
                description=line.description, quantity=line.quantity, unit_fee=line.unit_fee, factor=line.factor,
                threshold=line.threshold, ceiling=line.ceiling, justification=line.justification,
                is_expense=line.is_expense, fee_code=line.fee_code, priced=line.priced, amount=-line.amount)
        recalculate(reversal)
        _issue_locked(reversal, user, today)
        original.status = Invoice.Status.CANCELLED
        original.save(cancelling=True, update_fields=["status"])
        record("update", request=request, user=user, patient=original.patient, obj=original,
               detail={"invoice": "cancelled", "number": original.number, "cancellation": reversal.number})
    return reversal


# --- Payments and reminders ------------------------------------------------------------------

def outstanding(invoice):
    paid = invoice.payments.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    return invoice.total - paid


def record_payment(invoice, user, *, date, amount, method, note="", request=None):
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk, clinic=invoice.clinic_id)
        if invoice.status != Invoice.Status.ISSUED or invoice.is_cancellation:
            raise InvoiceError(_("Payments are recorded for issued invoices only."), "status")
        amount = _decimal(amount, _("amount"), minimum=Decimal("0.01")).quantize(Decimal("0.01"))
        left = outstanding(invoice)
        if amount > left:
            raise InvoiceError(_("Amount: at most the %(left)s still open.") % {"left": money(left)}, "amount")
        if date > timezone.localdate():
            raise InvoiceError(_("Date: a payment cannot be in the future."), "date")
        if method not in Payment.Method.values:
            raise InvoiceError(_("Method: choose one of the list."), "method")
        payment = Payment.objects.create(invoice=invoice, date=date, amount=amount, method=method,
                                         note=(note or "").strip()[:200], recorded_by=user)
        record("create", request=request, user=user, patient=invoice.patient, obj=payment,
               detail={"invoice": invoice.number, "payment": str(amount), "method": method,
                       "paid": str(invoice.total - left + amount)})
    return payment


def overdue(queryset, today=None):
    """Issued invoices past their due date and not paid in full, oldest due first."""
    today = today or timezone.localdate()
    return (with_paid(queryset.filter(status=Invoice.Status.ISSUED, kind=Invoice.Kind.INVOICE, due_date__lt=today))
            .filter(paid__lt=F("total")).order_by("due_date", "id"))


def send_reminder(invoice, user, *, request=None, today=None):
    """Record the next payment reminder of an overdue invoice (first, second, last)."""
    today = today or timezone.localdate()
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk, clinic=invoice.clinic_id)
        levels = list(invoice.reminders.values_list("level", flat=True))
        level = rules.next_reminder(levels, state(invoice, today))
        if level is None:
            raise InvoiceError(_("No reminder is due: the invoice is not overdue, or the last reminder was sent."),
                               "level")
        billing = settings_of(invoice.clinic)
        reminder = PaymentReminder.objects.create(
            invoice=invoice, level=level, date=today, pay_by=today + datetime.timedelta(days=billing.reminder_days),
            language=invoice.patient.language, open_amount=outstanding(invoice), sent_by=user)
        record("create", request=request, user=user, patient=invoice.patient, obj=reminder,
               detail={"invoice": invoice.number, "reminder": level, "open": str(reminder.open_amount)})
    return reminder


# --- Lists ------------------------------------------------------------------------------------

FILTERS = ("open", "overdue", "paid", "cancelled", "draft")


def listed(queryset, which, today=None):
    """The invoices of a list filter (open, overdue, paid, cancelled, draft; else all)."""
    today = today or timezone.localdate()
    queryset = with_paid(queryset)
    issued = Q(status=Invoice.Status.ISSUED, kind=Invoice.Kind.INVOICE)
    if which == "open":
        return queryset.filter(issued).filter(paid__lt=F("total"))
    if which == "overdue":
        return queryset.filter(issued, due_date__lt=today).filter(paid__lt=F("total"))
    if which == "paid":
        return queryset.filter(issued).filter(paid__gte=F("total"))
    if which == "cancelled":
        return queryset.filter(Q(status=Invoice.Status.CANCELLED) | Q(kind=Invoice.Kind.CANCELLATION))
    if which == "draft":
        return queryset.filter(status=Invoice.Status.DRAFT)
    return queryset


# --- The accountant's export --------------------------------------------------------------------

CSV_HEADER = ["number", "date", "kind", "cancels", "patient", "record_number", "net", "vat", "gross", "paid",
              "status", "currency"]


def export_rows(queryset, date_from, date_to, today=None):
    """Issued and cancellation invoices dated within the period, oldest first, as rows of
    CSV_HEADER (amounts with a decimal point; text safe from spreadsheet formulas)."""
    from segmenta.spreadsheet import safe_cell

    found = (with_paid(queryset.exclude(status=Invoice.Status.DRAFT)
                       .filter(issue_date__gte=date_from, issue_date__lte=date_to))
             .select_related("patient", "cancels").order_by("issue_date", "number"))
    for invoice in found:
        yield [safe_cell(invoice.number), invoice.issue_date.isoformat(), invoice.kind,
               safe_cell(invoice.cancels.number if invoice.cancels_id else ""), safe_cell(str(invoice.patient)),
               safe_cell(invoice.patient.record_number), f"{invoice.net_total:.2f}", f"{invoice.vat_total:.2f}",
               f"{invoice.total:.2f}", f"{invoice.paid:.2f}", state(invoice, today), invoice.currency]


def export_csv(queryset, date_from, date_to, today=None):
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(export_rows(queryset, date_from, date_to, today))
    return out.getvalue()
