"""An injection's safety reasons are kept in English with the phrase they were made from: the
API and the case format read the English, pages show them in the reader's language, before
and after the session is signed; a warning saved on a German page is not kept in German."""

import pytest
from django.urls import reverse

from segmenta.knowledge.tests.phrase_checks import merged
from segmenta.treatment import safety
from segmenta.treatment.models import Injection, Session
from segmenta.treatment.tests.test_session_pages import injection_data


@pytest.fixture
def session(patient, doctor):
    # No weight recorded: the check warns that the session limit is not adjusted to it.
    return Session.objects.create(patient=patient, started_at="2026-11-25T10:00:00+01:00", practitioner=doctor)


def saved_in_german(client, session):
    # Typed as a German page takes them: 1,5 % and 0,5 mL.
    response = client.post(reverse("treatment:injection_add", args=[session.pk]),
                           injection_data(concentration_percent="1,5", volume_ml="0,5"),
                           HTTP_ACCEPT_LANGUAGE="de", follow=True)
    assert response.status_code == 200
    return Injection.objects.get(), response.content.decode()


def test_a_warning_saved_on_a_german_page_is_kept_in_english_with_its_phrase(doctor_client, api_client, session):
    item, _page = saved_in_german(doctor_client, session)
    weight = next(r for r in item.reasons if r["code"] == "weight_unknown")
    assert weight["message"].startswith("weight unknown: the session limit is ")
    assert weight["phrase"]["t"] == "weight unknown: the session limit is %(limit)s mg, not adjusted to body weight"
    # The API answers with the English and the fields it always had.
    body = api_client.get(reverse("api:read_session", args=[session.pk])).json()
    reasons = body["injections"][0]["reasons"]
    assert [set(r) for r in reasons] == [{"code", "message", "verdict"}] * len(reasons)
    assert weight["message"] in [r["message"] for r in reasons]
    assert all(not r["message"].startswith("Gewicht") for r in reasons)


def test_the_stored_reasons_show_in_the_readers_language_before_and_after_signing(doctor_client, session):
    item, flash = saved_in_german(doctor_client, session)
    url = reverse("treatment:session", args=[session.pk])
    english = doctor_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "weight unknown: the session limit is" in english
    doctor_client.post(reverse("treatment:sign", args=[session.pk]), HTTP_ACCEPT_LANGUAGE="de")
    session.refresh_from_db()
    assert session.signed and session.content_hash == session.compute_hash()
    merged(safety)
    assert "Gewicht unbekannt: Die Höchstdosis der Sitzung beträgt" in flash
    for language, words in (("de", "Gewicht unbekannt: Die Höchstdosis der Sitzung beträgt"),
                            ("es", "peso desconocido: el límite de la sesión es de")):
        page = doctor_client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert words in page and "weight unknown" not in page


def test_a_reason_stored_before_phrases_reads_as_it_was_written(doctor_client, session):
    saved_in_german(doctor_client, session)
    Injection.objects.update(reasons=[{"code": "weight_unknown", "verdict": "warn",
                                       "message": "weight unknown: the session limit is 500 mg"}])
    page = doctor_client.get(reverse("treatment:session", args=[session.pk]), HTTP_ACCEPT_LANGUAGE="de")
    assert "weight unknown: the session limit is 500 mg" in page.content.decode()
