"""Each patient's preferred language: stored from the patient form and the API, defaulting to
the language the registering clinician works in, and shown on the chart."""

import json

import pytest
from django.urls import reverse

from segmenta.conftest import make_patient
from segmenta.patients.models import Patient, offered_language

NEW = {"family_name": "García", "given_name": "Lucía", "birth_date": "1979-05-20", "sex": "female"}


def create(client, body, **headers):
    return client.post(reverse("api:create_patient"), json.dumps(body), content_type="application/json", **headers)


@pytest.mark.parametrize("asked, offered", [("de", "de"), ("de-AT", "de"), ("es-MX", "es"), ("fr", "en"),
                                            ("", "en"), (None, "en")])
def test_a_language_is_one_segmenta_offers_else_english(asked, offered):
    assert offered_language(asked) == offered


def test_the_new_patient_form_proposes_the_clinicians_language_and_stores_the_choice(doctor_client, clinic):
    form = doctor_client.get(reverse("patients:create"), HTTP_ACCEPT_LANGUAGE="es")
    assert form.context["form"]["language"].value() == "es"
    sent = doctor_client.post(reverse("patients:create"), {**NEW, "language": "de"}, HTTP_ACCEPT_LANGUAGE="es")
    assert sent.status_code == 302
    assert Patient.objects.get(family_name="García").language == "de"


def test_a_form_sent_without_a_language_keeps_the_default_and_an_edit_keeps_the_choice(doctor_client, clinic):
    doctor_client.post(reverse("patients:create"), NEW, HTTP_ACCEPT_LANGUAGE="de")
    patient = Patient.objects.get(family_name="García")
    assert patient.language == "de"
    patient.language = "es"
    patient.save()
    edited = doctor_client.post(reverse("patients:edit", args=[patient.pk]), {**NEW, "given_name": "Lucia"})
    assert edited.status_code == 302
    patient.refresh_from_db()
    assert (patient.given_name, patient.language) == ("Lucia", "es")


def test_a_language_segmenta_does_not_offer_is_refused_by_the_form(doctor_client, clinic):
    sent = doctor_client.post(reverse("patients:create"), {**NEW, "language": "fr"})
    assert sent.status_code == 400 and "language" in sent.context["form"].errors
    assert not Patient.objects.exists()


def test_the_chart_header_names_the_patients_language(doctor_client, clinic):
    patient = make_patient(clinic, language="es")
    page = doctor_client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert '<span lang="es">Español</span>' in page


def test_the_api_stores_returns_and_changes_the_language(api_client, clinic):
    created = create(api_client, {**NEW, "language": "es"})
    assert created.status_code == 201 and created.json()["language"] == "es"
    pid = created.json()["id"]
    assert Patient.objects.get(pk=pid).language == "es"
    assert api_client.get(reverse("api:read_patient", args=[pid])).json()["language"] == "es"
    patched = api_client.patch(reverse("api:update_patient", args=[pid]), {"language": "de"},
                               content_type="application/json")
    assert patched.status_code == 200 and patched.json()["language"] == "de"
    assert Patient.objects.get(pk=pid).language == "de"


def test_the_api_defaults_to_the_callers_language_and_refuses_others(api_client, clinic):
    created = create(api_client, NEW, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    assert created.status_code == 201 and created.json()["language"] == "de"
    refused = create(api_client, {**NEW, "family_name": "Other", "language": "fr"})
    assert refused.status_code == 422 and [e["field"] for e in refused.json()["errors"]] == ["language"]
    nulled = api_client.patch(reverse("api:update_patient", args=[created.json()["id"]]), {"language": None},
                              content_type="application/json")
    assert nulled.status_code == 422
    assert Patient.objects.get(pk=created.json()["id"]).language == "de"
