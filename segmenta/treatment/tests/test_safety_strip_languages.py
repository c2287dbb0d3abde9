"""The safety strip in the page's language: allergies recorded by class, blood thinners known
only by their class, the drugs of the dose budget and the pregnancy's last check are written
with the knowledge base's German and Spanish labels and the language's dates, not as codes,
English words or ISO dates."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from segmenta.conftest import make_patient
from segmenta.patients import models as chart

BROWSER = {"en": "en-GB,en;q=0.9", "de": "de-DE,de;q=0.9", "es": "es-ES,es;q=0.9"}


@pytest.fixture
def charted(clinic):
    patient = make_patient(clinic, birth_date=datetime.date(1990, 5, 1))
    chart.Allergy.objects.create(patient=patient, substance="", allergy_class="ester_local_anaesthetic")
    chart.Medication.objects.create(patient=patient, name="", medication_class="anticoagulant")
    chart.PregnancyStatus.objects.create(patient=patient, date=datetime.date(2026, 1, 15), status="not_pregnant")
    return patient


def strip(client, patient, language):
    html = client.get(reverse("patients:detail", args=[patient.pk]), HTTP_ACCEPT_LANGUAGE=BROWSER[language])
    assert html.status_code == 200
    text = html.content.decode()
    return text[text.index('class="safety-strip"'):text.index("</section>", text.index('class="safety-strip"'))]


@pytest.mark.parametrize("language, shown", [
    ("de", ["Lokalanästhetikum vom Estertyp", "Antikoagulans (Gerinnungshemmer)", "Procain ", "Lidocain ",
            "15.01.2026"]),
    ("es", ["Anestésico local de tipo éster", "Procaína", "Lidocaína", "15/01/2026"]),
    ("en", ["Ester local anaesthetic", "Procaine", "Lidocaine", "2026-01-15"]),
])
def test_the_strip_names_classes_and_drugs_in_the_pages_language(doctor_client, charted, language, shown):
    text = strip(doctor_client, charted, language)
    for expected in shown:
        assert expected in text, expected
    if language != "en":
        for code in ("ester local anaesthetic", "anticoagulant", "procaine", "lidocaine", "2026-01-15"):
            assert code not in text, code


def test_a_thinners_last_dose_on_a_day_only_is_written_as_a_german_date(doctor_client, charted):
    """The API takes a last dose as a day; the strip writes it as the page writes dates."""
    from segmenta.treatment.sessions import strip_facts

    medication = chart.Medication.objects.get(patient=charted)
    medication.last_dose = timezone.make_aware(datetime.datetime(2026, 11, 20, 8, 0))
    medication.save()
    facts = strip_facts(charted)
    assert isinstance(facts["blood_thinners"][0]["last_dose"], datetime.datetime)
    assert "20.11.2026 08:00" in strip(doctor_client, charted, "de")
