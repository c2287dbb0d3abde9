"""Dates, times and numbers follow the page's language: 01.03.2026 and 72,5 in German,
01/03/2026 and 72,5 in Spanish, 2026-03-01 and 72.5 in English. Forms read the language's
decimal comma; machine formats (date inputs, data attributes) stay as they are."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from segmenta import l10n
from segmenta.accounts.models import TrainingRecord
from segmenta.conftest import complete_chart, make_patient
from segmenta.patients.models import WeightMeasurement
from segmenta.treatment.models import Injection, Product, Session

BROWSER = {"en": "en-GB,en;q=0.9", "de": "de-DE,de;q=0.9", "es": "es-ES,es;q=0.9"}


def page(client, url, language):
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=BROWSER[language])
    assert response.status_code == 200 and response["Content-Language"] == language
    return response.content.decode()


@pytest.mark.parametrize("language, day, moment, number", [
    ("en", "2026-03-01", "2026-03-01 14:05", "72.5"),
    ("de", "01.03.2026", "01.03.2026 14:05", "72,5"),
    ("es", "01/03/2026", "01/03/2026 14:05", "72,5"),
])
def test_text_built_in_python_follows_the_active_language(settings, language, day, moment, number):
    settings.TIME_ZONE = "Europe/Berlin"
    at = datetime.datetime(2026, 3, 1, 13, 5, tzinfo=datetime.timezone.utc)  # 14:05 in Berlin
    with translation.override(language):
        assert l10n.day(datetime.date(2026, 3, 1)) == day
        assert l10n.day(at) == day
        assert l10n.moment(at) == moment
        assert l10n.number(Decimal("72.50")) == number
        assert l10n.number(72.0) == "72" and l10n.number(Decimal("100")) == "100"
        assert l10n.number(2 / 3, places=2) == number.replace("72", "0").replace("5", "67")
        assert (l10n.day(None), l10n.moment(None), l10n.number(None)) == ("?", "?", "?")


def test_an_injections_label_writes_its_volume_with_a_decimal_comma_in_german(doctor, patient):
    session = Session.objects.create(patient=patient, started_at=timezone.now(), practitioner=doctor)
    injection = Injection(session=session, order=1, time=session.started_at, target="wheal", drug="procaine",
                          concentration_percent=Decimal("0.50"), volume_ml=Decimal("2.50"))
    with translation.override("de"):
        label = str(injection)
        assert "2,5 mL " in label and " 0,5 %" in label
    with translation.override("en"):
        assert "2.5 mL procaine 0.5 %" in str(injection)


@pytest.mark.parametrize("language, birth", [("en", "1980-03-01"), ("de", "01.03.1980"), ("es", "01/03/1980")])
def test_the_patient_list_shows_birth_dates_as_the_language_writes_them(doctor_client, clinic, language, birth):
    make_patient(clinic, family="Berger", given="Claudia", birth_date=datetime.date(1980, 3, 1))
    html = page(doctor_client, reverse("patients:list"), language)
    assert birth in html
    if language != "en":
        assert "1980-03-01" not in html


@pytest.mark.parametrize("language, shown", [("en", ["2019-05-18", "12.5"]), ("de", ["18.05.2019", "12,5"]),
                                             ("es", ["18/05/2019", "12,5"])])
def test_the_profile_shows_training_dates_and_hours_as_the_language_writes_them(doctor_client, doctor, language,
                                                                                 shown):
    TrainingRecord.objects.create(profile=doctor.profile, course="Grundkurs", provider="IGNH",
                                  date=datetime.date(2019, 5, 18), hours=Decimal("12.5"))
    html = page(doctor_client, reverse("accounts:profile"), language)
    for text in shown:
        assert f">{text}<" in html


@pytest.mark.parametrize("language, weight", [("en", "72.5 kg"), ("de", "72,5 kg"), ("es", "72,5 kg")])
def test_the_session_page_shows_the_weight_with_the_languages_decimal_mark(doctor_client, doctor, patient, language,
                                                                           weight):
    WeightMeasurement.objects.create(patient=patient, date=datetime.date(2026, 11, 1), weight_kg=Decimal("72.5"))
    session = Session.objects.create(patient=patient, started_at=datetime.datetime(
        2026, 11, 25, 9, 0, tzinfo=datetime.timezone.utc), practitioner=doctor)
    html = page(doctor_client, reverse("treatment:session", args=[session.pk]), language)
    assert weight in html
    assert {"en": "2026-11-25 10:00", "de": "25.11.2026 10:00", "es": "25/11/2026 10:00"}[language] in html


def test_a_weight_typed_with_a_decimal_comma_on_a_german_page_is_stored_as_the_same_number(doctor_client, patient):
    response = doctor_client.post(reverse("patients:item_new", args=[patient.pk, "weights"]),
                                  {"date": "2026-11-01", "weight_kg": "72,5", "height_cm": "168,5"},
                                  HTTP_ACCEPT_LANGUAGE=BROWSER["de"])
    assert response.status_code == 302
    weight = WeightMeasurement.objects.get(patient=patient)
    assert (weight.weight_kg, weight.height_cm) == (Decimal("72.5"), Decimal("168.5"))


def test_the_german_weight_form_shows_the_stored_weight_with_a_comma_and_the_date_as_iso(doctor_client, patient):
    weight = WeightMeasurement.objects.create(patient=patient, date=datetime.date(2026, 11, 1),
                                              weight_kg=Decimal("72.5"))
    html = page(doctor_client, reverse("patients:item_edit", args=[patient.pk, "weights", weight.pk]), "de")
    assert 'value="72,5"' in html and 'inputmode="decimal"' in html
    assert 'value="2026-11-01"' in html  # <input type=date> takes ISO whatever the language


def test_an_english_page_refuses_a_comma_it_would_read_as_thousands(doctor_client, patient):
    response = doctor_client.post(reverse("patients:item_new", args=[patient.pk, "weights"]),
                                  {"date": "2026-11-01", "weight_kg": "72,5"}, HTTP_ACCEPT_LANGUAGE=BROWSER["en"])
    assert response.status_code == 400
    assert not WeightMeasurement.objects.filter(patient=patient).exists()


def test_a_product_keeps_its_strength_as_data_for_the_script_and_shows_it_in_the_language(doctor_client, doctor,
                                                                                           patient):
    Product.objects.create(clinic=patient.clinic, name="Procain 0,5 %", drug="procaine",
                           concentration_percent=Decimal("0.5"))
    complete_chart(patient, doctor)
    session = Session.objects.create(patient=patient, started_at=timezone.now(), practitioner=doctor)
    html = page(doctor_client, reverse("treatment:session", args=[session.pk]), "de")
    assert 'data-concentration="0.50"' in html and 'data-concentration-text="0,5"' in html


def test_the_last_calculator_reads_a_german_weight(doctor_client):
    html = page(doctor_client, reverse("knowledge:entry", args=["protocol", "last"]) + "?weight=72,5", "de")
    assert 'value="72,5"' in html
    assert "errorlist" not in html and 'class="error"' not in html


@pytest.mark.parametrize("language, shown", [("en", "72.5 kg on 2026-03-01"), ("de", "01.03.2026"),
                                             ("es", "01/03/2026")])
def test_a_chart_entrys_label_writes_its_date_and_weight_in_the_language(patient, language, shown):
    weight = WeightMeasurement(patient=patient, date=datetime.date(2026, 3, 1), weight_kg=Decimal("72.5"))
    with translation.override(language):
        label = str(weight)
    assert shown in label
    assert (language == "en") == ("72.5" in label) and (language != "en") == ("72,5" in label)
