"""The documents' pages: behind the password again, a preview in the document's language,
"Download PDF" (a POST) that keeps what was issued; other clinics see nothing."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from segmenta.conftest import login_verified, reauthenticated
from segmenta.documents.models import IssuedDocument
from segmenta.treatment.models import Session

from .conftest import patient_with_plan, pdf_text, signed_session, spanish_consent


def client_of(username, again=True):
    client = login_verified(Client(), get_user_model().objects.get(username=username))
    return reauthenticated(client) if again else client


def test_documents_ask_for_the_password_again(demo):
    patient = signed_session().patient
    response = client_of("demo-doctor", again=False).get(reverse("documents:index", args=[patient.pk]))
    assert response.status_code == 302 and "/accounts/reauth/" in response["Location"]


def test_the_index_offers_every_document_of_the_chart(demo):
    session = signed_session()
    response = client_of("demo-doctor").get(reverse("documents:index", args=[session.patient_id]))
    assert response.status_code == 200
    page = response.content.decode()
    for url in (reverse("documents:session_note", args=[session.pk]),
                reverse("documents:referral", args=[session.patient_id]),
                reverse("documents:record_copy", args=[session.patient_id])):
        assert url in page


def test_preview_then_download_keeps_the_pdf_issued(demo):
    client = client_of("demo-doctor")
    session = signed_session()
    preview = client.get(reverse("documents:session_note", args=[session.pk]))
    assert preview.status_code == 200 and session.content_hash in preview.content.decode()
    assert IssuedDocument.objects.count() == 0  # a preview issues nothing
    response = client.post(reverse("documents:session_note_pdf", args=[session.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    issued = IssuedDocument.objects.get()
    assert (issued.session, issued.made_by.username) == (session, "demo-doctor")
    text, _reader = pdf_text(response.content)
    assert session.patient.display_name in text


def test_a_download_is_a_post(demo):
    response = client_of("demo-doctor").get(reverse("documents:session_note_pdf", args=[signed_session().pk]))
    assert response.status_code == 405


def test_the_consent_sheet_page_is_in_the_patients_language(demo):
    consent = spanish_consent()
    client = client_of("demo-doctor")
    response = client.get(reverse("documents:consent_sheet", args=[consent.pk]) + "?technique=stellate")
    assert response.status_code == 200
    assert 'lang="es"' in response.content.decode() and "neumotórax" in response.content.decode()
    assert client.get(reverse("documents:consent_sheet", args=[consent.pk]) + "?technique=nope").status_code == 404
    pdf = client.post(reverse("documents:consent_sheet_pdf", args=[consent.pk]), {"technique": "stellate"})
    assert pdf.status_code == 200
    assert IssuedDocument.objects.get().consent == consent


def test_a_draft_session_answers_409_saying_why(demo):
    draft = Session.objects.create(patient=signed_session().patient, started_at="2026-01-01T10:00:00+00:00")
    response = client_of("demo-doctor").get(reverse("documents:session_note", args=[draft.pk]))
    assert response.status_code == 409 and "not signed" in response.content.decode()


def test_the_referral_form_names_a_missing_question_and_keeps_nothing(demo):
    patient = signed_session().patient
    client = client_of("demo-doctor")
    form = client.get(reverse("documents:referral", args=[patient.pk]))
    assert form.status_code == 200
    findings = form.context["form"].initial["findings"]
    assert findings and patient.complaints.first().description in findings
    response = client.post(reverse("documents:referral", args=[patient.pk]),
                           {"recipient": "dentist", "question": "", "findings": findings, "action": "pdf"})
    assert response.status_code == 400 and response.context["form"].errors["question"]
    assert IssuedDocument.objects.count() == 0
    response = client.post(reverse("documents:referral", args=[patient.pk]),
                           {"recipient": "dentist", "question": "Tooth 38?", "findings": "edited", "action": "pdf"})
    assert response["Content-Type"] == "application/pdf"
    assert IssuedDocument.objects.get().texts["findings"] == "edited"


@pytest.mark.parametrize("name", ["index", "referral", "record_copy"])
def test_another_clinics_patient_is_404(demo, name):
    patient = signed_session().patient
    assert client_of("other-doctor").get(reverse(f"documents:{name}", args=[patient.pk])).status_code == 404


def test_another_clinics_plan_and_consent_are_404(demo):
    client = client_of("other-doctor")
    plan, consent = patient_with_plan().plans.first(), spanish_consent()
    assert client.get(reverse("documents:course_letter", args=[plan.pk])).status_code == 404
    assert client.get(reverse("documents:consent_sheet", args=[consent.pk]) + "?technique=stellate").status_code == 404
    assert client.post(reverse("documents:record_copy_pdf", args=[plan.patient_id])).status_code == 404


def test_the_record_copy_as_a_fhir_bundle_validates_and_is_audited(demo):
    from fhir.resources.R4B.bundle import Bundle

    from segmenta.audit.models import AuditEvent

    patient = signed_session().patient
    response = client_of("demo-doctor").get(reverse("documents:record_copy_fhir", args=[patient.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/fhir+json"
    bundle = response.json()
    Bundle.model_validate(bundle)
    types = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert {"Patient", "Condition", "Procedure", "Encounter"} <= types
    assert AuditEvent.objects.filter(action="export", patient=patient, detail__format="fhir").exists()
    assert client_of("other-doctor").get(reverse("documents:record_copy_fhir", args=[patient.pk])).status_code == 404


def test_an_assistant_previews_a_letter_but_only_a_practitioner_issues_it(demo):
    patient = signed_session().patient
    plan = patient_with_plan().plans.first()
    assistant = client_of("demo-assistant")
    assert assistant.get(reverse("documents:course_letter", args=[plan.pk])).status_code == 200
    assert assistant.post(reverse("documents:course_letter_pdf", args=[plan.pk])).status_code == 403
    response = assistant.post(reverse("documents:referral", args=[patient.pk]),
                              {"recipient": "gp", "question": "Blood count?", "action": "pdf"})
    assert response.status_code == 403
    # A signed note and a consent sheet an assistant may print.
    assert assistant.post(reverse("documents:session_note_pdf", args=[signed_session().pk])).status_code == 200
    assert IssuedDocument.objects.get().kind == "session-note"


def test_a_signed_session_and_a_reassessment_link_to_their_documents(demo):
    client = client_of("demo-doctor")
    session = signed_session()
    page = client.get(reverse("treatment:session", args=[session.pk])).content.decode()
    assert reverse("documents:session_note", args=[session.pk]) in page
    draft = Session.objects.create(patient=session.patient, started_at="2026-01-01T10:00:00+00:00")
    assert reverse("documents:session_note", args=[draft.pk]) not in client.get(
        reverse("treatment:session", args=[draft.pk])).content.decode()
    plan = patient_with_plan().plans.first()
    page = client.get(reverse("outcomes:reassessment", args=[plan.pk])).content.decode()
    assert reverse("documents:course_letter", args=[plan.pk]) in page
