import hashlib
import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import translation

from segmenta.commandline import inside_package, refuse
from segmenta.documents import content
from segmenta.documents.make import compose, issue
from segmenta.documents.models import Kind, Recipient
from segmenta.knowledge.service import for_clinic
from segmenta.patients.models import Consent, Patient, offered_language
from segmenta.treatment.models import Session, TreatmentPlan

# KIND: (what ID names, its model)
TARGETS = {
    Kind.SESSION_NOTE: ("session", Session),
    Kind.REFERRAL: ("patient", Patient),
    Kind.COURSE_LETTER: ("treatment plan", TreatmentPlan),
    Kind.CONSENT_SHEET: ("consent", Consent),
    Kind.RECORD_COPY: ("patient", Patient),
    Kind.LEAFLET: ("patient", Patient),
}


class Command(BaseCommand):
    help = ("Print a document as PDF/A with the clinic's letterhead: session-note SESSION_ID, referral PATIENT_ID, "
            "course-letter PLAN_ID, consent-sheet CONSENT_ID --technique ID [--drug ID], record-copy PATIENT_ID, "
            "leaflet PATIENT_ID --leaflet ID. What the patient reads is in the patient's language; the rest in --language (default: the server's).")

    def add_arguments(self, parser):
        parser.add_argument("kind", help="session-note, referral, course-letter, consent-sheet, record-copy or leaflet")
        parser.add_argument("id", help="the session, patient, plan or consent the document is about")
        parser.add_argument("-o", "--output", help="the PDF file to write")
        parser.add_argument("--technique", default="", help="consent-sheet: the technique (e.g. stellate)")
        parser.add_argument("--drug", default="", help="consent-sheet: the drug (default: the one the patient was "
                                                       "last injected with, else the clinic's only one)")
        parser.add_argument("--to", default=Recipient.GP, help="referral: dentist, gp or specialist (default gp)")
        parser.add_argument("--question", default="", help="referral: the question to the colleague")
        parser.add_argument("--language", default="", help="session-note and referral: en, de or es")
        parser.add_argument("--leaflet", default="", help="leaflet: which (e.g. after-your-injection), printed in "
                                                          "the patient's language")

    def handle(self, *args, kind, id, output, technique, drug, to, question, language, leaflet, **options):
        if kind not in Kind.values:
            raise refuse(f"KIND: {kind!r} is not one of {', '.join(Kind.values)}")
        what, model = TARGETS[kind]
        if not id.isdigit():
            raise refuse(f"ID: {id!r} is not a {what} id (a positive number)")
        if not output:
            raise refuse("-o/--output: name the PDF file to write")
        path = Path(output).expanduser().resolve()
        if inside_package(path):
            raise refuse(f"-o/--output: {output} lies inside the Segmenta package; write it elsewhere")
        if not path.parent.is_dir():
            raise refuse(f"-o/--output: the folder {path.parent} does not exist")
        if language and language not in dict(settings.LANGUAGES):
            raise refuse(f"--language: {language!r} is not one of {', '.join(dict(settings.LANGUAGES))}")
        target = model.objects.filter(pk=int(id)).first()
        if target is None:
            raise refuse(f"ID: no {what} with id {id}")
        options = {}
        if kind == Kind.CONSENT_SHEET:
            # The consent's clinic's knowledge base, as the page reads it (its overrides included).
            kb = for_clinic(target.patient.clinic)
            if kb.get("technique", technique) is None:
                raise refuse(f"--technique: {technique!r} is not a technique of the knowledge base "
                             f"(e.g. {', '.join(list(kb.entries['technique'])[:4])}, …)")
            if drug and kb.get("drug", drug) is None:
                raise refuse(f"--drug: {drug!r} is not a drug of the knowledge base ({', '.join(kb.entries['drug'])})")
            options.update(technique=technique, drug=drug)
        if kind == Kind.LEAFLET:
            kb = for_clinic(target.clinic)
            if kb.get("leaflet", leaflet) is None:
                raise refuse(f"--leaflet: {leaflet!r} is not a leaflet of the knowledge base "
                             f"({', '.join(kb.entries['leaflet'])})")
            options.update(leaflet=leaflet)
        texts = None
        if kind == Kind.REFERRAL:
            if to not in Recipient.values:
                raise refuse(f"--to: {to!r} is not one of {', '.join(Recipient.values)}")
            with translation.override(offered_language(language)):
                texts = {**content.referral_draft(target), "question": question.strip()}
                options.update(texts=texts, recipient_label=str(Recipient(to).label))
        with translation.override(offered_language(language)):
            try:
                made = compose(kind, target, **options)
            except content.NotAvailable as error:
                raise refuse(f"ID: {error}") from error
            pdf, _issued = issue(made, texts=texts, recipient=to if kind == Kind.REFERRAL else "",
                                technique=options.get("technique", ""))
        # Whole or not at all: written beside the target, then moved into place.
        handle, scratch = tempfile.mkstemp(dir=path.parent, prefix=".segmenta-pdf-", suffix=".pdf")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(pdf)
            os.replace(scratch, path)
        except BaseException:
            if os.path.exists(scratch):
                os.unlink(scratch)
            raise
        self.stdout.write(f"{path} ({len(pdf)} bytes, {made.language}, SHA-256 {hashlib.sha256(pdf).hexdigest()})")
