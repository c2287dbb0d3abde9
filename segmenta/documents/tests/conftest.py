"""The documents are tested over the demo practice (`segmenta demo`): signed sessions, a plan
at its reassessment, test injections, consents, a Spanish-speaking patient."""

import io

import pytest
from django.core.management import call_command
from pypdf import PdfReader

from segmenta.patients.models import Consent, Patient
from segmenta.treatment.models import Session


@pytest.fixture
def demo(db):
    call_command("demo", stdout=io.StringIO())


def pdf_text(data):
    """Every page's text of a PDF, joined; its reader for the rest."""
    reader = PdfReader(io.BytesIO(data))
    return " ".join(page.extract_text() for page in reader.pages), reader


def signed_session():
    return Session.objects.filter(status=Session.Status.SIGNED, patient__clinic__name="Demo Praxis").select_related(
        "patient").order_by("id").first()


def spanish_consent():
    return Consent.objects.filter(patient__language="es", decision="given").select_related("patient").first()


def patient_with_plan():
    return Patient.objects.filter(clinic__name="Demo Praxis", plans__isnull=False).order_by("id").first()
