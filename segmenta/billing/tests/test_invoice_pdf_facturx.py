"""The printed invoice: a PDF/A-3 in the patient's language with what the GOÄ asks for, and
its Factur-X XML embedded, which the factur-x library's own checker accepts; the cancellation
invoice as a credit note referring to the original; the reminder letter."""

import datetime
import io

import pytest
from django.utils import translation
from django.utils.translation import gettext
from facturx import get_xml_from_pdf, xml_check_xsd
from lxml import etree
from pypdf import PdfReader

from segmenta.billing import invoices, printing
from segmenta.billing.models import Invoice, PaymentReminder
from segmenta.conftest import make_patient

from .making import add_line, billing_settings, draft

NS = {"rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
      "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}


@pytest.fixture
def issued(clinic, doctor):
    billing_settings(clinic, vat_id="DE123456789")
    clinic.phone, clinic.email = "030 1234567", "praxis@example.org"
    clinic.address, clinic.letterhead = "Gartenstraße 3\n10115 Berlin", "Dr. med. Lena Koch, Neuraltherapie"
    clinic.save()
    patient = make_patient(clinic, family="Weber", given="Anna", language="de",
                           address="Lindenweg 5\n10115 Berlin")
    invoice = draft(patient, doctor)
    add_line(invoice, "268", 120, factor="3.0", justification="Erschwerte Infiltration bei Narbengewebe")
    return invoices.issue(invoice, doctor)


def german(message):
    """The German of a message (its catalog entry, once merged; the English until then)."""
    with translation.override("de"):
        return gettext(message)


def text_of(pdf):
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def test_the_xml_is_en16931_and_passes_the_librarys_checker(issued):
    xml = printing.facturx_xml(issued)
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    tree = etree.fromstring(xml)
    assert tree.findtext(".//rsm:ExchangedDocument/ram:ID", namespaces=NS) == issued.number
    assert tree.findtext(".//rsm:ExchangedDocument/ram:TypeCode", namespaces=NS) == "380"
    assert tree.findtext(".//ram:SellerTradeParty/ram:Name", namespaces=NS) == "Praxis Nord Dr. med. Nord"
    assert tree.findtext(".//ram:BuyerTradeParty/ram:Name", namespaces=NS) == "Anna Weber"
    assert tree.findtext(".//ram:BuyerTradeParty//ram:PostcodeCode", namespaces=NS) == "10115"
    tax = tree.find(".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=NS)
    assert tax.findtext("ram:CategoryCode", namespaces=NS) == "E"
    assert tax.findtext("ram:ExemptionReasonCode", namespaces=NS) == "VATEX-EU-132-1C"
    assert "§4 Nr. 14 UStG" in tax.findtext("ram:ExemptionReason", namespaces=NS)
    assert tree.findtext(".//ram:PayeePartyCreditorFinancialAccount/ram:IBANID", namespaces=NS) == \
        "DE89370400440532013000"
    assert tree.findtext(".//ram:GrandTotalAmount", namespaces=NS) == f"{issued.total:.2f}"
    assert len(tree.findall(".//ram:IncludedSupplyChainTradeLineItem", namespaces=NS)) == issued.lines.count()


def test_the_exemption_code_is_the_fee_schedules_and_left_out_where_it_has_none(issued):
    """The reason code is a legal fact of the schedule's jurisdiction (fee_schedules.yaml): the
    EU directive's for the GOÄ; none for the Swiss Tarif 590, whose XML carries the wording alone."""
    from segmenta.knowledge.service import for_clinic

    kb = for_clinic(issued.clinic)
    assert kb.get("fee-schedule", "goae")["vat_exemption_code"] == "VATEX-EU-132-1C"
    assert kb.get("fee-schedule", "tarif590")["vat_exemption_code"] is None
    issued.schedule = "tarif590"  # (in memory only: an issued invoice never changes)
    issued.printed = {}  # as an invoice issued before the code was frozen with it
    xml = printing.facturx_xml(issued)
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    tax = etree.fromstring(xml).find(".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=NS)
    assert tax.find("ram:ExemptionReasonCode", namespaces=NS) is None
    assert "§4 Nr. 14 UStG" in tax.findtext("ram:ExemptionReason", namespaces=NS)


def test_the_pdf_carries_the_xml_and_the_goae_content_in_the_patients_language(issued):
    pdf = printing.invoice_pdf(issued)
    filename, xml = get_xml_from_pdf(pdf, check_xsd=True)
    assert filename == "factur-x.xml" and issued.number.encode() in xml
    xmp = PdfReader(io.BytesIO(pdf)).xmp_metadata.stream.get_data().decode("utf-8")
    assert "pdfaid:part" in xmp and "3" in xmp.split("pdfaid:part")[1][:5]  # PDF/A-3, which may carry the XML
    assert "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#" in xmp  # the Factur-X extension schema
    text = text_of(pdf)
    assert f"{german('Invoice')} {issued.number}" in text  # German for a German-speaking patient
    for line in issued.lines.all():
        assert line.code in text
    assert "3,00" in text and "Erschwerte Infiltration bei Narbengewebe" in text  # factor and justification
    assert issued.lines.first().date.strftime("%d.%m.%Y") in text  # date of treatment
    assert "§4 Nr. 14 UStG" in text and "DE89370400440532013000" in text
    assert f"{issued.total:.2f}".replace(".", ",") in text


def test_the_cancellation_is_a_credit_note_referring_to_the_original(issued, doctor):
    reversal = invoices.cancel(issued, doctor)
    xml = printing.facturx_xml(reversal)
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    tree = etree.fromstring(xml)
    assert tree.findtext(".//rsm:ExchangedDocument/ram:TypeCode", namespaces=NS) == "381"
    assert tree.findtext(".//ram:InvoiceReferencedDocument/ram:IssuerAssignedID", namespaces=NS) == issued.number
    assert tree.findtext(".//ram:GrandTotalAmount", namespaces=NS) == f"{issued.total:.2f}"
    text = text_of(printing.invoice_pdf(reversal))
    assert f"{german('Cancellation invoice')} {reversal.number}" in text and issued.number in text
    assert f"-{issued.total:.2f}".replace(".", ",") in text


def test_an_english_speaking_patient_gets_an_english_invoice(clinic, doctor):
    billing_settings(clinic)
    patient = make_patient(clinic, language="en", address="1 High Street\n10115 Berlin")
    invoice = invoices.issue(draft(patient, doctor), doctor)
    assert f"Invoice {invoice.number}" in text_of(printing.invoice_pdf(invoice))


def test_the_reminder_letter_names_the_invoice_the_open_amount_and_the_date(issued, doctor):
    today = issued.due_date + datetime.timedelta(days=3)
    reminder = invoices.send_reminder(Invoice.objects.get(pk=issued.pk), doctor, today=today)
    text = text_of(printing.reminder_pdf(reminder))
    assert german("Payment reminder") in text and issued.number in text
    assert reminder.pay_by.strftime("%d.%m.%Y") in text


def _exemption_reason(xml):
    tax = etree.fromstring(xml).find(".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=NS)
    return tax.findtext("ram:ExemptionReason", namespaces=NS)


@pytest.mark.parametrize("language", ["de", "es", "en"])
def test_without_the_clinics_own_note_the_invoice_gives_the_schedules_wording_in_the_patients_language(
        clinic, doctor, language):
    """A German invoice must say why it charges no VAT (§14 (4) No. 8 UStG): where the clinic
    words it nowhere, the fee schedule's wording (fee_schedules.yaml) is frozen at issue in the
    patient's language and printed in the PDF and as BT-120 in the XML."""
    from segmenta.knowledge import localize
    from segmenta.knowledge.service import for_clinic

    billing_settings(clinic, vat_exemption_note="")
    patient = make_patient(clinic, language=language, address="Lindenweg 5\n10115 Berlin")
    invoice = invoices.issue(draft(patient, doctor), doctor)
    goae = for_clinic(clinic).get("fee-schedule", "goae")
    wordings = {lang: localize.text(goae, "vat_exemption_note", lang) for lang in ("en", "de", "es")}
    assert len(set(wordings.values())) == 3  # each language its own words
    expected = wordings[language]
    assert invoice.seller["vat_note"] == expected
    xml = printing.facturx_xml(invoice)
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert _exemption_reason(xml) == expected
    text = text_of(printing.invoice_pdf(invoice))
    assert " ".join(expected.split()) in text
    assert not any(wording in text for lang, wording in wordings.items() if lang != language)


def test_the_clinics_own_note_wins_over_the_schedules_wording(clinic, doctor):
    from segmenta.knowledge import localize
    from segmenta.knowledge.service import for_clinic

    own = "Steuerfreie Heilbehandlung (§4 Nr. 14 UStG), Praxis Nord."
    billing_settings(clinic, vat_exemption_note=own)
    patient = make_patient(clinic, language="de", address="Lindenweg 5\n10115 Berlin")
    invoice = invoices.issue(draft(patient, doctor), doctor)
    schedules = localize.text(for_clinic(clinic).get("fee-schedule", "goae"), "vat_exemption_note", "de")
    xml = printing.facturx_xml(invoice)
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert _exemption_reason(xml) == own
    text = text_of(printing.invoice_pdf(invoice))
    assert own in text and schedules not in text


def test_a_reprint_is_the_same_text_after_the_patient_and_the_clinic_change(issued, doctor):
    """What an issued invoice prints was frozen at issuing: the patient's name, birth date and
    language, the schedule's name, the VAT exemption code and note, and the clinic's letterhead
    (its name, text, address, phone and e-mail)."""
    before_html, before_xml = printing.invoice_html(issued), printing.facturx_xml(issued)
    assert "Anna Weber" in before_html and "GOÄ — Gebührenordnung für Ärzte" in before_html
    patient = issued.patient
    patient.given_name, patient.family_name, patient.language = "Anne", "Schmidt", "es"
    patient.birth_date = patient.birth_date - datetime.timedelta(days=400)
    patient.address = "Calle Mayor 1\n28001 Madrid"
    patient.save()
    assert "030 1234567" in before_html and "Gartenstraße 3" in before_html
    clinic = issued.clinic
    clinic.name, clinic.phone, clinic.email = "Praxis Neu", "089 7654321", "neu@example.org"
    clinic.address, clinic.letterhead = "Marienplatz 1\n80331 München", "Dr. med. Jan Roth"
    clinic.save()
    reread = Invoice.objects.get(pk=issued.pk)
    assert printing.invoice_html(reread) == before_html
    assert printing.facturx_xml(reread) == before_xml


def test_a_reprint_keeps_the_schedules_name_and_exemption_when_the_knowledge_base_changes(issued, monkeypatch):
    from segmenta.billing import fees

    before_html, before_xml = printing.invoice_html(issued), printing.facturx_xml(issued)
    changed = {"id": "goae", "name": "Renamed", "vat_exemption_code": "VATEX-EU-O",
               "vat_exemption_note": "Changed"}
    monkeypatch.setattr(fees, "schedule", lambda clinic, schedule_id: changed)
    reread = Invoice.objects.get(pk=issued.pk)
    assert printing.invoice_html(reread) == before_html and "Renamed" not in before_html
    assert printing.facturx_xml(reread) == before_xml


def test_the_schedules_own_name_is_printed_for_each_schedule(clinic, doctor):
    """Not only the GOÄ is named: a Heilpraktiker's invoice names the GebüH, in the patient's language."""
    billing_settings(clinic)
    patient = make_patient(clinic, family="Weber", given="Anna", language="es", address="Lindenweg 5\n10115 Berlin")
    invoice = draft(patient, doctor, lines=False)
    Invoice.objects.filter(pk=invoice.pk).update(schedule="gebueh")
    add_line(invoice, "Material", None, expense_price="1.85")  # a line of the GebüH's own (GOÄ codes are refused)
    issued = invoices.issue(Invoice.objects.get(pk=invoice.pk), doctor)
    html = printing.invoice_html(issued)
    assert "GebüH — lista de honorarios usuales de los Heilpraktiker" in html and "GOÄ" not in html


def test_a_reminder_prints_in_its_own_stored_language(issued, doctor):
    today = issued.due_date + datetime.timedelta(days=3)
    reminder = invoices.send_reminder(Invoice.objects.get(pk=issued.pk), doctor, today=today)
    assert reminder.language == "de"
    patient = issued.patient
    patient.language = "en"
    patient.save()
    text = text_of(printing.reminder_pdf(reminder))
    assert german("Payment reminder") in text and "Payment reminder" not in text


def test_a_reprint_shows_the_logo_it_was_issued_with_and_none_once_the_logo_was_replaced(
        clinic, doctor, settings, tmp_path):
    from django.core.files.base import ContentFile

    settings.MEDIA_ROOT = str(tmp_path)
    billing_settings(clinic)
    clinic.logo.save("logo.png", ContentFile(b"first logo"), save=True)
    patient = make_patient(clinic, address="Lindenweg 5\n10115 Berlin")
    invoice = invoices.issue(draft(patient, doctor), doctor)
    first = clinic.logo_data_uri()
    assert first in printing.invoice_html(Invoice.objects.get(pk=invoice.pk))
    clinic.logo.save("logo.png", ContentFile(b"second logo"), save=True)
    html = printing.invoice_html(Invoice.objects.get(pk=invoice.pk))
    assert first not in html and clinic.logo_data_uri() not in html and 'class="logo"' not in html


def test_a_cancellation_names_the_patient_as_the_invoice_it_cancels_did(issued, doctor):
    patient = issued.patient
    patient.given_name, patient.family_name, patient.language = "Anne", "Schmidt", "es"
    patient.birth_date = patient.birth_date - datetime.timedelta(days=400)
    patient.address = "Calle Mayor 1\n28001 Madrid"
    patient.save()
    reversal = invoices.cancel(issued, doctor)
    assert reversal.language == issued.language == "de"
    for key in ("patient_name", "birth_date", "schedule_name", "vat_exemption_code"):
        assert reversal.printed[key] == issued.printed[key]
    assert (reversal.recipient_name, reversal.recipient_address) == (issued.recipient_name, issued.recipient_address)
    html = printing.invoice_html(Invoice.objects.get(pk=reversal.pk))
    assert "Anna Weber" in html and "Schmidt" not in html and "Madrid" not in html
    assert german("Cancellation invoice") in html


def test_a_reminders_reprint_states_what_was_open_when_it_was_made(issued, doctor):
    today = issued.due_date + datetime.timedelta(days=3)
    reminder = invoices.send_reminder(Invoice.objects.get(pk=issued.pk), doctor, today=today)
    assert reminder.open_amount == issued.total
    invoices.record_payment(Invoice.objects.get(pk=issued.pk), doctor, date=issued.issue_date,
                            amount="10.00", method="transfer")
    assert invoices.outstanding(issued) == issued.total - 10
    text = text_of(printing.reminder_pdf(PaymentReminder.objects.get(pk=reminder.pk)))
    open_then = f"{issued.total:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    open_now = f"{issued.total - 10:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    assert open_then in text and open_now not in text
