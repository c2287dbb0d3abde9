"""Making a document: its text in the right language, the HTML the page previews and the
PDF/A printed from it, and the record of what was issued (audited, in one transaction). The
pages and `segmenta pdf` both come here.

What the patient reads (the consent sheet, the end-of-course letter, the patient's copy) is
in the patient's language; the session note and the referral to a colleague in the language
of whoever prints them."""

import contextlib
import hashlib
from dataclasses import dataclass

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from segmenta.audit.trail import record
from segmenta.knowledge.service import for_clinic
from segmenta.learning import leaflets
from segmenta.pdf import ARCHIVAL, html_to_pdf

from . import content
from .models import IssuedDocument, Kind

FOR_THE_PATIENT = {Kind.COURSE_LETTER, Kind.CONSENT_SHEET, Kind.RECORD_COPY, Kind.LEAFLET}
STYLESHEET = "documents.css"


@dataclass
class Made:
    kind: str
    patient: object
    context: dict
    body: str  # the document's HTML without its letterhead (the page's preview)
    language: str


def _language(kind, patient):
    return patient.in_own_language() if kind in FOR_THE_PATIENT else contextlib.nullcontext()


def compose(kind, target, *, texts=None, recipient_label="", technique="", drug="", signer="", leaflet=""):
    """The document of ``kind`` about ``target`` (a session, patient, plan or consent) as
    HTML, in its language. Raises content.NotAvailable when it cannot be made."""
    patient = target if kind in (Kind.REFERRAL, Kind.RECORD_COPY, Kind.LEAFLET) else target.patient
    if kind == Kind.LEAFLET:
        return _leaflet(patient, leaflet)
    # Why not is said to whoever prints, in their language (content.consent_sheet checks again).
    if kind == Kind.CONSENT_SHEET:
        drug = content.sheet_drug(target, technique, drug)
    with _language(kind, patient):
        if kind == Kind.SESSION_NOTE:
            context = content.session_note(target)
        elif kind == Kind.REFERRAL:
            context = content.referral(target, texts, recipient_label)
        elif kind == Kind.COURSE_LETTER:
            context = content.course_letter(target)
        elif kind == Kind.CONSENT_SHEET:
            context = content.consent_sheet(target, technique, drug)
        else:
            context = content.record_copy(target)
        context = {"signer": signer, **context, "clinic": patient.clinic, "made_at": timezone.localtime()}
        body = render_to_string(f"documents/{kind}.html", context)
        return Made(kind, patient, context, body, translation.get_language())


def _leaflet(patient, leaflet_id):
    """A patient leaflet in the patient's language (English, saying so, where it has none)."""
    context = leaflets.content(for_clinic(patient.clinic), leaflet_id, patient.language, patient.clinic)
    if context is None:
        raise content.NotAvailable(content.no_leaflet(leaflet_id))
    context = {**context, "patient": patient, "made_at": timezone.localtime()}
    return Made(Kind.LEAFLET, patient, context, leaflets.body(context), context["language"])


def printed(made):
    """The PDF/A bytes of a composed document, with the clinic's letterhead."""
    with translation.override(made.language):
        html = render_to_string("documents/print.html", {**made.context, "body": made.body,
                                                         "language": made.language})
    return html_to_pdf(html, STYLESHEET, ARCHIVAL)


def issue(made, *, request=None, user=None, texts=None, recipient="", technique=""):
    """The PDF, kept as issued (its texts and hash) and audited; the patient's copy only
    audited (it stays possible when the chart's processing is restricted)."""
    pdf = printed(made)
    digest = hashlib.sha256(pdf).hexdigest()
    target = made.context
    if made.kind == Kind.CONSENT_SHEET:
        texts = {"drug": target["drug_id"], **(texts or {})}  # which drug the sheet named
    if made.kind == Kind.LEAFLET:  # which leaflet, in which version, asked for in which language
        texts = {"leaflet": target["leaflet_id"], "reviewed": target["reviewed"].isoformat(),
                 "knowledge_version": target["kb_version"], "asked_language": target["asked"]}
    with transaction.atomic():
        issued = None
        if made.kind != Kind.RECORD_COPY:
            issued = IssuedDocument.objects.create(
                patient=made.patient, kind=made.kind, session=target.get("session"),
                plan=target.get("plan"), consent=target.get("consent"), technique=technique,
                recipient=recipient, language=made.language, texts=texts or {}, pdf_sha256=digest,
                made_by=user if user is not None else getattr(request, "user", None))
        record("export", request=request, user=user, username=None if (request or user) else "segmenta pdf",
               patient=made.patient, obj=issued or made.patient,
               detail={"document": made.kind, "format": "pdf", "sha256": digest, "language": made.language,
                       **({"restricted": made.patient.restricted} if made.kind == Kind.RECORD_COPY else {})})
    return pdf, issued


def filename(made):
    return f"{made.kind}-{made.patient.pk}-{timezone.localdate().isoformat()}.pdf"
