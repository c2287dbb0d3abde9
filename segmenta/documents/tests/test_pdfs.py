"""Each document printed as PDF/A with the clinic's letterhead, read back with pypdf: the
chart's content, the patient's language, what the knowledge base says (and no made-up risk
frequency), and what is kept of each document issued."""

import datetime
import hashlib
import re

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation
from django.utils.translation import gettext

from segmenta.audit.models import AuditEvent
from segmenta.documents import content
from segmenta.documents.make import compose, issue
from segmenta.documents.models import IssuedDocument, Kind
from segmenta.outcomes.reassessment import report
from segmenta.patients.models import Consent, Patient
from segmenta.patients.restriction import ProcessingRestricted, restrict
from segmenta.treatment.models import Session

from .conftest import patient_with_plan, pdf_text, signed_session, spanish_consent


@pytest.fixture
def letterhead(demo):
    patient = Patient.objects.filter(clinic__name="Demo Praxis").first()
    clinic = patient.clinic
    clinic.address, clinic.phone, clinic.email = "Hauptstraße 5\n10115 Berlin", "+49 30 1234567", "praxis@example.org"
    clinic.letterhead = "Dr. med. Daniel Doktor, Neuraltherapie"
    clinic.save()
    return clinic


def made_pdf(kind, target, **options):
    made = compose(kind, target, **options)
    pdf, issued = issue(made, user=get_user_model().objects.get(username="demo-doctor"),
                        texts=options.get("texts"), technique=options.get("technique", ""))
    text, reader = pdf_text(pdf)
    return made, pdf, issued, re.sub(r"\s+", " ", text), reader


def test_every_document_is_pdf_a_with_the_clinics_letterhead(letterhead):
    session = signed_session()
    patient = session.patient
    consent = Consent.objects.filter(patient__clinic=letterhead, decision="given").first()
    targets = {Kind.SESSION_NOTE: session, Kind.REFERRAL: patient, Kind.COURSE_LETTER: patient_with_plan().plans.first(),
               Kind.CONSENT_SHEET: consent, Kind.RECORD_COPY: patient}
    for kind, target in targets.items():
        options = {"technique": "stellate"} if kind == Kind.CONSENT_SHEET else {}
        if kind == Kind.REFERRAL:
            options = {"texts": {**content.referral_draft(patient), "question": "Please check tooth 38."},
                       "recipient_label": "Dentist"}
        _made, pdf, _issued, text, reader = made_pdf(kind, target, **options)
        assert pdf.startswith(b"%PDF-"), kind
        # PDF/A-3b: the XMP metadata names part 3, conformance B.
        xmp = reader.xmp_metadata
        assert xmp is not None, kind
        raw = xmp.stream.get_data().decode("utf-8")
        assert re.search(r"pdfaid:part(>|=\")3", raw) and re.search(r"pdfaid:conformance(>|=\")B", raw), kind
        for line in ("Demo Praxis", "Hauptstraße 5", "10115 Berlin", "+49 30 1234567", "praxis@example.org",
                     "Neuraltherapie"):
            assert line in text, (kind, line)


def test_the_signed_note_shows_the_session_and_its_injections(demo):
    session = signed_session()
    _made, _pdf, issued, text, _reader = made_pdf(Kind.SESSION_NOTE, session)
    assert session.patient.display_name in text
    assert session.content_hash in text.replace(" ", "")
    for injection in session.injections.all():
        assert injection.get_target_display() in text
        assert injection.lot in text
    assert (issued.kind, issued.session, issued.patient) == (Kind.SESSION_NOTE, session, session.patient)


def test_a_draft_session_has_no_note_to_print(demo):
    draft = Session.objects.filter(status=Session.Status.DRAFT).first() or Session.objects.create(
        patient=signed_session().patient, started_at="2026-01-01T10:00:00+00:00")
    with pytest.raises(content.NotAvailable, match="not signed"):
        compose(Kind.SESSION_NOTE, draft)


def test_the_consent_sheet_is_in_the_patients_language_with_the_knowledge_bases_risks(demo):
    consent = spanish_consent()
    made, _pdf, issued, text, _reader = made_pdf(Kind.CONSENT_SHEET, consent, technique="stellate")
    assert made.language == "es"
    # The technique, its complications and the drug's label warnings in Spanish, from the data files.
    for shown in ("Ganglio estrellado", "neumotórax", "aspirar antes de cada inyección", "Procaína"):
        assert shown in text
    assert consent.date.strftime("%d/%m/%Y") in text
    assert (issued.consent, issued.technique, issued.language) == (consent, "stellate", "es")


def test_a_german_patients_sheet_is_in_german(demo):
    patient = Patient.objects.get(language="de")
    consent = Consent.objects.create(patient=patient, date=datetime.date(2026, 3, 2), scope="Neuraltherapie",
                                     scopes=["injection_therapy"], method="signature", signature_svg="M 1 1 L 5 5")
    _made, _pdf, _issued, text, _reader = made_pdf(Kind.CONSENT_SHEET, consent, technique="stellate")
    for shown in ("Ganglion stellatum", "Pneumothorax", "vor jeder Injektion aspirieren", "02.03.2026"):
        assert shown in text


def test_a_complication_that_gives_a_figure_is_marked_as_stated_in_the_data():
    """The sheet reads "as stated" from ganglia.yaml's complications_with_frequency, not from
    the wording: a figure added to a complication without marking it would print "not known"
    beside it, so this fails on such an entry (and on a marked one that holds none)."""
    from segmenta.knowledge.base import load

    checked = 0
    for ganglion_id, ganglion in load().entries["ganglion"].items():
        marked = set(ganglion.get("complications_with_frequency", []))
        for risk, text in zip(content._risks(ganglion, ganglion)[0], ganglion["complications"]):
            figure = bool(re.search(r"\d|\brare\b", text))
            assert risk["frequency_known"] == figure == (text in marked), (ganglion_id, text)
            checked += 1
    assert checked > 20


def test_a_technique_without_named_risks_says_so_and_invents_none(demo):
    _made, _pdf, _issued, text, _reader = made_pdf(Kind.CONSENT_SHEET, spanish_consent(), technique="wheal")
    assert "Pápula (intradérmica)" in text
    with translation.override("es"):
        none_named = gettext("The knowledge base names no risks specific to this technique. That does not mean "
                             "there are none: ask your practitioner.")
        risks, alternatives = gettext("Risks"), gettext("Alternatives")
    assert none_named in text
    section = text[text.index(risks):text.index(alternatives)]
    assert not re.search(r"\d", section.replace("Procaína", ""))


def test_the_course_letter_compares_baseline_with_now_in_the_patients_language(demo):
    plan = patient_with_plan().plans.first()
    made, _pdf, issued, text, _reader = made_pdf(Kind.COURSE_LETTER, plan)
    assert made.language == plan.patient.language
    assert "NRS" in text and "→" in text
    sessions = plan.sessions.count()
    assert f"{sessions} sessions" in text
    assert issued.plan == plan
    change = report(plan)["nrs"]["percent_change"]
    assert change is not None and change < 0, "the demo's course improved"
    # a fall is printed with a real minus sign, as the reassessment page prints it
    assert f"(\u2212{abs(round(change))}\u00a0%)" in text.replace(" %", "\u00a0%")


def test_a_german_patients_course_letter_is_in_german(demo):
    plan = patient_with_plan().plans.first()
    Patient.objects.filter(pk=plan.patient_id).update(language="de")
    plan.patient.refresh_from_db()
    _made, _pdf, _issued, text, _reader = made_pdf(Kind.COURSE_LETTER, plan)
    assert "Schmerz: Ausgangswert im Vergleich zu jetzt" in text
    assert re.search(r"\d\d\.\d\d\.20\d\d", text)  # dates as German writes them
    assert not re.search(r"20\d\d-\d\d-\d\d", text)


def test_the_referral_keeps_what_was_sent_and_its_hash_audited(demo):
    patient = signed_session().patient
    texts = {**content.referral_draft(patient), "question": "Bitte Zahn 38 beurteilen.",
             "recipient_name": "Dr. Zahn\nMusterweg 1"}
    made, pdf, issued, text, _reader = made_pdf(Kind.REFERRAL, patient, texts=texts, recipient_label="Dentist")
    assert "Bitte Zahn 38 beurteilen." in text and "Musterweg 1" in text
    assert issued.texts == texts
    assert issued.pdf_sha256 == hashlib.sha256(pdf).hexdigest()
    event = AuditEvent.objects.filter(action="export", object_type="issueddocument", object_id=str(issued.pk)).get()
    assert event.detail["sha256"] == issued.pdf_sha256 and event.patient_id == patient.pk
    # The draft comes from the chart: findings, tested fields and red flags.
    assert any(c.description in texts["findings"] for c in patient.complaints.all())


def test_an_issued_document_is_never_changed(demo):
    patient = signed_session().patient
    _made, _pdf, issued, _text, _reader = made_pdf(Kind.RECORD_COPY, patient)
    assert issued is None  # the copy is audited, not kept
    _made, _pdf, issued, _text, _reader = made_pdf(Kind.SESSION_NOTE, signed_session())
    issued.texts = {"changed": True}
    with pytest.raises(ValueError):
        issued.save()


def test_a_restricted_chart_still_gets_its_copy_but_no_new_letter(demo):
    patient = signed_session().patient
    restrict(patient, get_user_model().objects.get(username="demo-admin"), "erasure request")
    patient.refresh_from_db()
    _made, _pdf, _issued, text, _reader = made_pdf(Kind.RECORD_COPY, patient)
    assert patient.display_name in text
    before = IssuedDocument.objects.count()
    with pytest.raises(ProcessingRestricted):
        made_pdf(Kind.SESSION_NOTE, signed_session())
    assert IssuedDocument.objects.count() == before
