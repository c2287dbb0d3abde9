"""The demo has a German-speaking and a Spanish-speaking patient, with a short chart each,
whose questionnaires are stored in their language."""

from segmenta.demo.tests.test_demo import run_demo
from segmenta.patients.models import Patient


def test_the_demo_has_a_german_and_a_spanish_patient_with_a_chart(db):
    run_demo()
    speakers = {p.language: p for p in Patient.objects.filter(clinic__name="Demo Praxis").exclude(language="en")}
    assert set(speakers) == {"de", "es"}
    for language, patient in speakers.items():
        assert patient.complaints.exists() and patient.history.exists() and patient.consents.exists(), language
        assert patient.responses.exists() and patient.sessions.exists(), language
        for response in patient.responses.all():
            assert response.resource["language"] == language
    german_items = [r.resource["item"][0]["text"] for r in speakers["de"].responses.all()]
    assert set(german_items) == {"Wenig Interesse oder Freude an Ihren Tätigkeiten"}
