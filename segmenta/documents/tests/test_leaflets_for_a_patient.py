"""A patient leaflet printed from the patient's documents: in the patient's language whatever
the practitioner's, with the clinic's phone, kept in the chart's documents issued (which
leaflet, its review date, the language) and audited as every printed document is."""

import hashlib
import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from segmenta.audit.models import AuditEvent
from segmenta.conftest import make_patient, reauthenticated
from segmenta.documents.models import IssuedDocument, Kind


def text_of(pdf):
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))


@pytest.fixture
def spanish_patient(clinic):
    clinic.phone, clinic.jurisdiction = "+34 91 555 0101", "ES"
    clinic.save()
    return make_patient(clinic, "García", "Lucía", language="es")


def test_the_documents_page_offers_each_leaflet(doctor_client, spanish_patient):
    """Named in the practitioner's language; each opens in the patient's (the next test)."""
    page = reauthenticated(doctor_client).get(reverse("documents:index", args=[spanish_patient.pk])).content.decode()
    for leaflet_id, title in (("what-is-neural-therapy", "What is neural therapy?"),
                              ("what-happens-at-a-session", "What happens at a session"),
                              ("after-your-injection", "After your injection")):
        assert f'href="{reverse("documents:leaflet", args=[spanish_patient.pk, leaflet_id])}">{title}</a>' in page


def test_the_preview_is_in_the_patients_language_and_audited_as_a_read(doctor_client, spanish_patient):
    response = reauthenticated(doctor_client).get(
        reverse("documents:leaflet", args=[spanish_patient.pk, "after-your-injection"]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Después de su inyección" in page and "+34 91 555 0101" in page
    assert re.findall(r'class="leaflet-number">(.*?)<', page)[1].endswith(" 112")  # Spain's emergency number
    assert AuditEvent.objects.filter(action="view", patient=spanish_patient, detail__document=Kind.LEAFLET).exists()
    assert IssuedDocument.objects.count() == 0  # a preview is not issued


def test_printing_keeps_the_leaflet_in_the_chart_and_audits_the_export(doctor_client, spanish_patient, doctor):
    response = reauthenticated(doctor_client).post(
        reverse("documents:leaflet_pdf", args=[spanish_patient.pk, "what-is-neural-therapy"]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = text_of(response.content)
    assert "¿Qué es la terapia neural?" in text and "+34 91 555 0101" in text
    assert "What is neural therapy?" not in text
    issued = IssuedDocument.objects.get()
    assert (issued.patient, issued.kind, issued.language, issued.made_by) == (spanish_patient, "leaflet", "es", doctor)
    assert issued.texts["leaflet"] == "what-is-neural-therapy"
    assert issued.texts["reviewed"] == "2026-11-29" and issued.texts["asked_language"] == "es"
    assert issued.pdf_sha256 == hashlib.sha256(response.content).hexdigest()
    event = AuditEvent.objects.get(action="export", object_type="issueddocument", object_id=str(issued.pk))
    assert event.detail["document"] == "leaflet" and event.detail["language"] == "es"
    listed = reauthenticated(doctor_client).get(reverse("documents:index", args=[spanish_patient.pk])).content.decode()
    assert "Patient leaflet" in listed and issued.pdf_sha256 in listed


def test_the_patients_language_wins_over_the_practitioners(doctor_client, clinic):
    german = make_patient(clinic, "Schmidt", "Jonas", language="de")
    response = reauthenticated(doctor_client).post(
        reverse("documents:leaflet_pdf", args=[german.pk, "what-happens-at-a-session"]), HTTP_ACCEPT_LANGUAGE="es")
    assert "Was bei einer Sitzung geschieht" in text_of(response.content)
    assert IssuedDocument.objects.get().language == "de"


def test_an_unknown_leaflet_is_refused_and_nothing_is_kept(doctor_client, spanish_patient):
    response = reauthenticated(doctor_client).post(reverse("documents:leaflet_pdf", args=[spanish_patient.pk, "nope"]))
    assert response.status_code == 404
    assert IssuedDocument.objects.count() == 0


def test_another_clinics_patient_gets_no_leaflet(doctor_client, other_clinic):
    stranger = make_patient(other_clinic, "Fremd", "Anna")
    response = reauthenticated(doctor_client).post(reverse("documents:leaflet_pdf", args=[stranger.pk, "after-your-injection"]))
    assert response.status_code == 404
    assert IssuedDocument.objects.count() == 0
