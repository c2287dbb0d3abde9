"""An issued invoice as the patient receives it: a PDF/A-3 in the patient's language with the
content the GOÄ asks for (§12: date of treatment, code, short description, factor, amount, the
justification above the threshold, §10 expenses), carrying its Factur-X XML (EN 16931) as the
embedded file e-invoicing software reads; and the payment reminder letter.

The XML is made by the factur-x library from the invoice's values and checked against the
standard's XSD as it is made (its schematron needs a separate Saxon server, which a practice
does not run)."""

import datetime
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone, translation

from segmenta.knowledge import localize
from segmenta.patients.models import offered_language
from segmenta.pdf import ARCHIVAL, html_to_pdf

from . import fees, invoices, rules
from .models import Invoice, money

STYLESHEET = "documents.css"
LEVEL = "en16931"
# UNTDID 1001: 380 a commercial invoice, 381 a credit note (what a cancellation invoice is).
TYPE_INVOICE, TYPE_CREDIT_NOTE = "380", "381"
# UNTDID 4461: 58 SEPA credit transfer.
SEPA_TRANSFER = "58"
# VAT category E (exempt); why, as a code, is the fee schedule's (vat_exemption_code).
EXEMPT = "E"
# UN/ECE Recommendation 20: C62 "one" (a unit without a dimension).
UNIT = "C62"


def _amount(value):
    return f"{Decimal(value):.2f}"


def _address(lines, country):
    """A printed address as EN 16931 wants it: lines, and a last line "postcode town"."""
    lines = [line.strip() for line in (lines or "").splitlines() if line.strip()]
    if lines and not any(ch.isdigit() for ch in lines[-1]) and rules.country_of_address(lines[-1]):
        lines = lines[:-1]  # the country's name: the XML gives it as the country code
    found = {"country_code": country or "DE"}
    if lines:
        last = lines[-1].split(None, 1)
        if len(last) == 2 and any(ch.isdigit() for ch in last[0]):
            found["postcode"], found["city"] = last
            lines = lines[:-1]
    for key, line in zip(("addr_l1", "addr_l2", "addr_l3"), lines):
        found[key] = line
    return found


def facturx_data(invoice):
    """The invoice's EN 16931 values, as the factur-x library takes them."""
    seller = invoice.seller
    sign = Decimal(-1) if invoice.is_cancellation else Decimal(1)  # a credit note states positive amounts
    net, total = invoice.net_total * sign, invoice.total * sign
    # The wording frozen at issue (the clinic's, else the schedule's in the patient's language);
    # an invoice issued before the schedules carried one froze none, and BT-120 still needs words.
    exemption = seller.get("vat_note") or "Exempt from VAT"
    # The legal ground as a code, where the schedule's jurisdiction has one (EN 16931 BR-E-10
    # asks for the code or the wording; the wording is always given).
    # As frozen at issuing; an invoice issued before codes were frozen reads the schedule's.
    if "vat_exemption_code" in invoice.printed:
        reason_code = invoice.printed["vat_exemption_code"]
    else:
        reason_code = (fees.schedule(invoice.clinic, invoice.schedule) or {}).get("vat_exemption_code")
    lines = []
    for line in invoice.lines.all():
        amount = line.amount * sign
        description = line.description
        if line.factor is not None:
            description += f" ({line.factor}×)"
        if line.justification:
            description += f" — {line.justification}"
        lines.append({
            "BT-126": str(line.position), "BT-129": str(line.quantity), "BT-130": UNIT, "BT-131": _amount(amount),
            "BT-146": f"{(amount / line.quantity):.4f}", "BT-151": EXEMPT, "BT-152": "0",
            "BT-153": f"{line.code} {line.description}"[:100], "BT-154": description, "BT-155": line.code,
            "BT-134": line.date, "BT-135": line.date,
        })
    data = {
        "BT-1": invoice.number, "BT-2": invoice.issue_date,
        "BT-3": TYPE_CREDIT_NOTE if invoice.is_cancellation else TYPE_INVOICE, "BT-5": invoice.currency,
        "BT-9": invoice.due_date, "BT-83": invoice.number,
        "BG-1": [{"BT-22": exemption}],
        "BG-4": {"name": seller["name"], **_address(
            "\n".join(filter(None, [seller.get("street"), f"{seller.get('postcode', '')} {seller.get('city', '')}"])),
            seller.get("country")),
            **({"vat_identifier": seller["vat_id"]} if seller.get("vat_id") else {}),
            **({"tax_identifier": seller["tax_number"]} if seller.get("tax_number") else {})},
        "BG-7": {"name": invoice.recipient_name, **_address(invoice.recipient_address, invoice.recipient_country)},
        "BG-23": [{"BT-116": _amount(net), "BT-117": "0.00", "BT-118": EXEMPT, "BT-119": "0",
                   "BT-120": exemption, **({"BT-121": reason_code} if reason_code else {})}],
        "BG-25": lines,
        "BT-106": _amount(net), "BT-109": _amount(net), "BT-110": "0.00", "BT-112": _amount(total),
        "BT-115": _amount(total),
    }
    if lines:
        data["BT-72"] = min(line.date for line in invoice.lines.all())
    if not invoice.is_cancellation and seller.get("iban"):
        data.update({"BT-81": SEPA_TRANSFER, "BT-84": seller["iban"].replace(" ", ""),
                     "BT-20": f"{seller.get('payment_days', 30)} days"})
    else:
        data["BT-20"] = "Cancellation; nothing to pay" if invoice.is_cancellation else "On receipt"
    if invoice.cancels_id:
        data["BG-3"] = [{"BT-25": invoice.cancels.number, "BT-26": invoice.cancels.issue_date}]
    return data


def facturx_xml(invoice):
    """The Factur-X XML (EN 16931 profile) of an issued invoice, checked against the XSD."""
    from facturx import generate_xml

    return generate_xml(facturx_data(invoice), flavor="factur-x", level=LEVEL, check_xsd=True,
                        check_schematron=False)


def _printed(invoice):
    """The patient and the schedule as the invoice prints them: frozen at issuing; an invoice
    issued before they were frozen reads the chart and the knowledge base as they are."""
    printed = dict(invoice.printed or {})
    if "patient_name" not in printed:
        patient = invoice.patient
        printed["patient_name"] = f"{patient.given_name} {patient.family_name}"
        printed["birth_date"] = patient.birth_date.isoformat()
    if "schedule_name" not in printed:
        printed["schedule_name"] = localize.text(fees.schedule(invoice.clinic, invoice.schedule))
    printed["birth_date"] = datetime.date.fromisoformat(printed["birth_date"])
    return printed


def _letterhead(invoice):
    """The letterhead the invoice was issued with (documents/_letterhead.html reads these
    names); the clinic as it is for an invoice issued before letterheads were frozen. Its logo
    is printed only while the clinic's logo is the image it was at issuing."""
    frozen = (invoice.printed or {}).get("letterhead")
    if frozen is None:
        return invoice.clinic
    clinic = invoice.clinic
    same_logo = frozen.get("logo_sha256") and frozen["logo_sha256"] == invoices.logo_fingerprint(clinic)
    return {**frozen, "logo_data_uri": clinic.logo_data_uri() if same_logo else ""}


def _context(invoice):
    lines = list(invoice.lines.all())
    return {
        "invoice": invoice, "seller": invoice.seller, "clinic": _letterhead(invoice), "lines": lines,
        "printed": _printed(invoice), "session": invoice.session,
        "has_justification": any(line.justification for line in lines),
        "money": money,
    }


def _in_language(code, invoice):
    """The language an invoice (or its reminder) was issued in, as stored; the patient's
    where an older one stored none."""
    return translation.override(offered_language(code or invoice.patient.language))


def invoice_html(invoice):
    """The invoice's printed HTML, in the language it was issued in."""
    with _in_language(invoice.language, invoice):
        return render_to_string("billing/print.html", {**_context(invoice), "language": translation.get_language(),
                                                       "body_template": "billing/_invoice_body.html"})


def invoice_pdf(invoice):
    """The PDF/A-3 of an issued invoice with its Factur-X XML embedded."""
    if invoice.status == Invoice.Status.DRAFT:
        raise ValueError("a draft has no PDF")
    from facturx import generate_from_binary

    pdf = html_to_pdf(invoice_html(invoice), STYLESHEET, ARCHIVAL)
    return generate_from_binary(pdf, facturx_xml(invoice), flavor="factur-x", level=LEVEL, check_xsd=False,
                                lang=invoice.language or invoice.patient.language or "de",
                                pdf_metadata={"author": invoice.seller.get("name", ""),
                                              "keywords": "Factur-X, Invoice",
                                              "title": f"{invoice.seller.get('name', '')}: {invoice.number}",
                                              "subject": invoice.number})


def reminder_pdf(reminder):
    """The payment reminder letter, in the language it was sent in (its own, stored), stating
    the amount open when it was made (what is open today for one made before that was kept)."""
    invoice = reminder.invoice
    outstanding = reminder.open_amount if reminder.open_amount is not None else invoices.outstanding(invoice)
    with _in_language(reminder.language, invoice):
        html = render_to_string("billing/print.html", {
            **_context(invoice), "reminder": reminder, "outstanding": outstanding, "today": timezone.localdate(),
            "language": translation.get_language(), "body_template": "billing/_reminder_body.html"})
    return html_to_pdf(html, STYLESHEET, ARCHIVAL)
