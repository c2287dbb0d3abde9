"""What a draft must settle before it is issued: a line whose price the data names none keeps
its place (unpriced) until the practitioner enters it; a code whose number is a placeholder
or unverified is said beside its line and refused at issuing, naming the line; the
recipient's country is the draft's own field; the proposal's warnings and refusals are said
in the reader's language."""

import pytest
from django.urls import reverse
from django.utils import translation

from segmenta.billing import invoices, rules
from segmenta.billing.invoices import InvoiceError
from segmenta.billing.models import Invoice
from segmenta.billing.tests.test_invoice_proposals import signed_session
from segmenta.conftest import make_patient, make_user
from segmenta.knowledge.models import ClinicOverride

from .making import add_line, billing_settings, draft


@pytest.fixture
def german_clinic(clinic):
    clinic.jurisdiction = "DE"
    clinic.save()
    billing_settings(clinic)
    return clinic


@pytest.fixture
def healer(german_clinic):
    return make_user("healer", german_clinic, "practitioner", "heilpraktiker")


def wheals(patient, user):
    return signed_session(patient, user, [("wheal", [{"region": "shoulder", "side": "right"}], "", "0.5", None)])


def lines_of(invoice):
    return list(Invoice.objects.get(pk=invoice.pk).lines.all())


def test_an_unpriced_gebueh_line_stays_in_the_draft_and_is_refused_at_issuing_until_priced(german_clinic, healer,
                                                                                           patient):
    invoice, _created = invoices.draft_for_session(wheals(patient, healer), healer)
    found = lines_of(invoice)
    wheal = next(line for line in found if line.code == "25.1")
    assert not wheal.priced and wheal.amount == 0 and wheal.fee_code == "gebueh.25.1"
    notes = dict((line.pk, n) for line, n in invoices.line_notes(invoice, found))
    assert any("has no price yet" in note for note in notes[wheal.pk])
    with pytest.raises(InvoiceError) as refused:
        invoices.issue(invoice, healer)
    assert f"Line {wheal.position} (25.1)" in str(refused.value) and refused.value.field == "price"
    assert Invoice.objects.get(pk=invoice.pk).number is None
    invoices.update_draft(invoice, healer, recipient_name="Erika Muster", recipient_address="Weg 1\n10115 Berlin",
                          lines={wheal.pk: {"quantity": "1", "price": "16,50"}})
    wheal.refresh_from_db()
    assert wheal.priced and str(wheal.amount) == "16.50"
    still = {line.code: notes for line, notes in invoices.line_notes(invoice, lines_of(invoice))}
    assert not any("has no price yet" in note for note in still["25.1"])
    assert any("has no price yet" in note for note in still["Material"])  # not priced yet


def test_an_unverified_code_number_is_refused_naming_the_line_until_the_practice_confirms_it(german_clinic, healer,
                                                                                             patient):
    invoice, _created = invoices.draft_for_session(wheals(patient, healer), healer)
    wheal = next(line for line in lines_of(invoice) if line.code == "25.1")
    invoices.update_draft(invoice, healer, recipient_name="Erika Muster", recipient_address="Weg 1\n10115 Berlin",
                          lines={line.pk: {"quantity": "1", "price": "2"} for line in lines_of(invoice)})
    with pytest.raises(InvoiceError) as refused:
        invoices.issue(invoice, healer)
    assert f"Line {wheal.position} (25.1)" in str(refused.value) and "could not be verified" in str(refused.value)
    # The practice confirms the position (its own override of the code): now it may be issued.
    ClinicOverride.objects.create(clinic=german_clinic, kind="fee-code", entry_id="gebueh.25.1",
                                  data={"number_status": "verified"}, reason="position confirmed")
    issued = invoices.issue(Invoice.objects.get(pk=invoice.pk), healer)
    assert issued.number


def test_a_tarif_590_placeholder_is_said_beside_its_line_and_refused(clinic, patient):
    clinic.jurisdiction = "CH"
    clinic.save()
    billing_settings(clinic, country="CH")
    therapist = make_user("therapist", clinic, "practitioner", "naturopathic_physician")
    invoice, _created = invoices.draft_for_session(wheals(patient, therapist), therapist)
    time_line = next(line for line in lines_of(invoice) if line.code == "1200")
    assert not time_line.priced  # no rate per 5 minutes in the data: kept, to be priced
    notes = dict((line.pk, n) for line, n in invoices.line_notes(invoice, lines_of(invoice)))
    assert any("placeholder" in note for note in notes[time_line.pk])
    invoices.update_draft(invoice, therapist, recipient_name="Erika Muster", recipient_address="Weg 1\n8001 Zürich",
                          lines={line.pk: {"quantity": "1", "price": "12"} for line in lines_of(invoice)})
    with pytest.raises(InvoiceError) as refused:
        invoices.issue(invoice, therapist)
    assert "Line 1 (1200)" in str(refused.value) and "placeholder" in str(refused.value)


def test_the_editor_shows_each_lines_warning_beside_it_for_as_long_as_it_holds(german_clinic, healer, patient,
                                                                                 client):
    from segmenta.conftest import login_verified

    invoice, _created = invoices.draft_for_session(wheals(patient, healer), healer)
    wheal = next(line for line in lines_of(invoice) if line.code == "25.1")
    browser = login_verified(client, healer)
    for _visit in range(2):  # not said once and forgotten
        page = browser.get(reverse("billing:edit", args=[invoice.pk])).content.decode()
        item = page.split(f'id="line-{wheal.pk}"')[1].split("</li>")[0]
        assert "has no price yet" in item and "could not be verified" in item
        assert f'name="line-{wheal.pk}-price"' in item


def test_a_goae_draft_of_verified_codes_has_no_line_warnings(german_clinic, doctor):
    invoice = draft(make_patient(german_clinic), doctor)
    assert invoices.line_notes(invoice, lines_of(invoice)) == []
    add_line(invoice, "498", 300)  # its number was not verified (fee_codes.yaml)
    found = invoices.line_notes(invoice, lines_of(invoice))
    assert [line.code for line, _notes in found] == ["498"]


def test_the_recipients_country_comes_from_the_address_else_the_clinic_and_is_edited(german_clinic, doctor):
    swiss = make_patient(german_clinic, family="Keller", given="Urs", address="Bahnhofstrasse 1\n8001 Zürich\nSchweiz")
    invoice, _created = invoices.draft_for_session(signed_session(swiss, doctor, [("wheal", [], "", "0.5", None)]),
                                                   doctor)
    assert invoice.recipient_country == "CH"
    local = make_patient(german_clinic, family="Weber", given="Anna", address="Lindenweg 5\n10115 Berlin")
    other, _created = invoices.draft_for_session(signed_session(local, doctor, [("wheal", [], "", "0.5", None)]),
                                                 doctor)
    assert other.recipient_country == "DE"
    invoices.update_draft(other, doctor, recipient_name="Anna Weber", recipient_address="Lindenweg 5\n10115 Berlin",
                          recipient_country="at", lines={})
    assert Invoice.objects.get(pk=other.pk).recipient_country == "AT"
    with pytest.raises(InvoiceError) as refused:
        invoices.update_draft(other, doctor, recipient_name="Anna Weber", recipient_address="x",
                              recipient_country="Austria", lines={})
    assert refused.value.field == "recipient_country" and "Recipient's country" in str(refused.value)


@pytest.mark.parametrize("code", ["XX", "DD", "EU", "UK"])
def test_two_letters_that_are_no_iso_country_are_refused_and_no_country_of_an_address(german_clinic, doctor, code):
    """EN 16931 takes ISO 3166-1 alpha-2 codes: two letters alone are none (DD was East
    Germany's, EU and UK are reserved, not assigned)."""
    invoice = draft(make_patient(german_clinic), doctor)
    before = Invoice.objects.get(pk=invoice.pk).recipient_country
    with pytest.raises(InvoiceError) as refused:
        invoices.update_draft(invoice, doctor, recipient_name="Anna Weber", recipient_address="Lindenweg 5",
                              recipient_country=code.lower(), lines={})
    assert refused.value.field == "recipient_country"
    assert Invoice.objects.get(pk=invoice.pk).recipient_country == before
    assert rules.country_of_address(f"Lindenweg 5\n10115 Berlin\n{code}") is None
    assert rules.country_of_address("Hauptplatz 1\n1010 Wien\nAT") == "AT"


def test_the_edited_country_is_the_buyers_in_the_facturx_xml(german_clinic, doctor):
    from lxml import etree

    from segmenta.billing import printing
    from segmenta.billing.tests.test_invoice_pdf_facturx import NS

    invoice = draft(make_patient(german_clinic), doctor)
    invoices.update_draft(invoice, doctor, recipient_name="Anna Weber", recipient_address="Hauptplatz 1\n1010 Wien",
                          recipient_country="AT", lines={})
    issued = invoices.issue(Invoice.objects.get(pk=invoice.pk), doctor)
    tree = etree.fromstring(printing.facturx_xml(issued))
    assert tree.findtext(".//ram:BuyerTradeParty//ram:CountryID", namespaces=NS) == "AT"


def test_the_proposals_warnings_and_refusals_are_said_in_the_readers_language(german_clinic, healer, patient,
                                                                              monkeypatch):
    from segmenta.billing.proposal import propose_invoice
    from segmenta.knowledge import wording

    proposal = propose_invoice(wheals(patient, healer))
    no_amount = next(w for w in proposal["warnings"] if "has no amount" in w)
    # The API and the command keep the English; a page says it through the catalogs, by its
    # template, with its parameters filled in.
    assert str(no_amount) == ("25.1: the schedule's data has no amount for it; enter the practice's fee before "
                              "issuing")
    catalog = {no_amount.template: "%(code)s: keine Gebühr in den Daten"}
    monkeypatch.setattr(wording, "gettext", lambda message: catalog.get(message, message))
    with translation.override("de"):
        assert invoices.said(no_amount) == "25.1: keine Gebühr in den Daten"
    german_clinic.jurisdiction = ""
    german_clinic.save()
    refusal = "the clinic's jurisdiction is not set (Clinic settings), so no fee schedule can be chosen"
    catalog[refusal] = "die Rechtsordnung der Praxis fehlt"
    with translation.override("de"), pytest.raises(InvoiceError) as refused:
        invoices.draft_for_session(wheals(patient, healer), healer)
    assert refused.value.field == "jurisdiction" and "die Rechtsordnung der Praxis fehlt" in str(refused.value)


def test_a_draft_keeping_a_placeholder_number_the_practice_has_since_replaced_is_refused(clinic, patient):
    """The practice replaces Tarif 590's placeholder 1200 by the real number (its override,
    number_status: verified) after the draft was made: the draft's line still carries 1200, which
    is no longer the schedule's number, so it is said beside the line and refused at issuing."""
    clinic.jurisdiction = "CH"
    clinic.save()
    billing_settings(clinic, country="CH")
    therapist = make_user("therapist", clinic, "practitioner", "naturopathic_physician")
    invoice, _created = invoices.draft_for_session(wheals(patient, therapist), therapist)
    invoices.update_draft(invoice, therapist, recipient_name="Erika Muster", recipient_address="Weg 1\n8001 Zürich",
                          lines={line.pk: {"quantity": "1", "price": "12"} for line in lines_of(invoice)})
    for entry_id, number in (("tarif590.neural", "1201"), ("tarif590.product", "1301")):
        ClinicOverride.objects.create(clinic=clinic, kind="fee-code", entry_id=entry_id,
                                      data={"code": number, "number_status": "verified"}, reason="code list read")
    time_line = next(line for line in lines_of(invoice) if line.code == "1200")
    notes = dict((line.pk, n) for line, n in invoices.line_notes(invoice, lines_of(invoice)))
    assert any("is not the fee schedule's" in note for note in notes[time_line.pk])
    with pytest.raises(InvoiceError) as refused:
        invoices.issue(Invoice.objects.get(pk=invoice.pk), therapist)
    assert f"Line {time_line.position} (1200)" in str(refused.value) and refused.value.field == "code"
    assert Invoice.objects.get(pk=invoice.pk).number is None


def test_a_line_whose_code_the_schedules_data_no_longer_holds_is_refused(german_clinic, doctor):
    invoice = draft(make_patient(german_clinic), doctor)
    gone = add_line(invoice, "999", 100)
    gone.fee_code = "goae.999"  # the entry it was made from is gone from the knowledge base
    gone.save()
    found = invoices.line_notes(invoice, lines_of(invoice))
    assert [line.code for line, _notes in found] == ["999"]
    with pytest.raises(InvoiceError) as refused:
        invoices.issue(Invoice.objects.get(pk=invoice.pk), doctor)
    assert f"Line {gone.position} (999)" in str(refused.value) and refused.value.field == "code"
