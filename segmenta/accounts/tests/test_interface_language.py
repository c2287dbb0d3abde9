"""The interface language: a user's choice in the profile applies to every page of theirs,
else the browser's; the login page switches languages through Django's language cookie."""

import pytest
from django.conf import settings
from django.test import Client

from segmenta.accounts.language import SESSION_KEY
from segmenta.accounts.models import PractitionerProfile
from segmenta.audit.models import AuditEvent
from segmenta.conftest import PASSWORD, login_verified

ENGLISH_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}
GERMAN_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9"}


def heading_of_the_list(client, **headers):
    page = client.get("/patients/", **headers)
    assert page.status_code == 200
    return page


def test_a_chosen_language_is_stored_audited_and_applied_whatever_the_browser_says(doctor_client, doctor):
    response = doctor_client.post("/accounts/profile/language/", {"language": "de"}, **ENGLISH_BROWSER)
    assert response.status_code == 302
    assert PractitionerProfile.objects.get(user=doctor).language == "de"
    event = AuditEvent.objects.get(action="update", object_type="practitionerprofile")
    assert event.detail == {"language": ["", "de"]}
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"

    page = heading_of_the_list(doctor_client, **ENGLISH_BROWSER)
    assert page["Content-Language"] == "de"
    assert '<html lang="de">' in page.content.decode()
    assert "Patienten" in page.content.decode()


def test_the_browsers_language_applies_again_once_chosen_and_the_cookie_goes(doctor_client, doctor):
    doctor_client.post("/accounts/profile/language/", {"language": "es"})
    assert heading_of_the_list(doctor_client, **ENGLISH_BROWSER)["Content-Language"] == "es"

    response = doctor_client.post("/accounts/profile/language/", {"language": ""}, **ENGLISH_BROWSER)
    assert PractitionerProfile.objects.get(user=doctor).language == ""
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == ""  # deleted
    assert heading_of_the_list(doctor_client, **ENGLISH_BROWSER)["Content-Language"] == "en"
    assert heading_of_the_list(doctor_client, **GERMAN_BROWSER)["Content-Language"] == "de"


def test_a_language_that_is_not_offered_is_refused_and_nothing_changes(doctor_client, doctor):
    response = doctor_client.post("/accounts/profile/language/", {"language": "fr"})
    assert response.status_code == 400
    assert PractitionerProfile.objects.get(user=doctor).language == ""
    assert not AuditEvent.objects.filter(action="update", object_type="practitionerprofile").exists()


def test_the_choice_applies_from_the_first_page_after_logging_in(doctor):
    PractitionerProfile.objects.filter(user=doctor).update(language="es")
    client = login_verified(Client(), doctor)
    assert client.session[SESSION_KEY] == "es"
    page = heading_of_the_list(client, **GERMAN_BROWSER)
    assert page["Content-Language"] == "es" and "Pacientes" in page.content.decode()


def test_a_session_from_before_the_choice_existed_reads_it_once(doctor):
    PractitionerProfile.objects.filter(user=doctor).update(language="de")
    client = login_verified(Client(), doctor)
    session = client.session
    del session[SESSION_KEY]
    session.save()
    assert heading_of_the_list(client, **ENGLISH_BROWSER)["Content-Language"] == "de"
    assert client.session[SESSION_KEY] == "de"


def test_the_choice_is_one_users_alone(doctor, admin_user):
    PractitionerProfile.objects.filter(user=doctor).update(language="de")
    colleague = login_verified(Client(), admin_user)
    assert heading_of_the_list(colleague, **ENGLISH_BROWSER)["Content-Language"] == "en"


def test_the_profile_offers_the_languages_by_their_own_names(doctor_client):
    page = doctor_client.get("/accounts/profile/").content.decode()
    for code, name in (("", "The browser&#x27;s language"), ("en", "English"), ("de", "Deutsch"),
                       ("es", "Español")):
        assert f'<option value="{code}"' in page and name in page


def test_the_login_page_switches_language_with_the_language_cookie(client):
    page = client.get("/accounts/login/", **ENGLISH_BROWSER).content.decode()
    assert 'action="/i18n/setlang/"' in page
    assert 'lang="de"' in page and ">Deutsch</button>" in page
    response = client.post("/i18n/setlang/", {"language": "de", "next": "/accounts/login/?next=/patients/"},
                           **ENGLISH_BROWSER)
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/patients/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"
    page = client.get("/accounts/login/?next=/patients/", **ENGLISH_BROWSER)
    assert page["Content-Language"] == "de"
    assert "Anmelden" in page.content.decode() and "Benutzername" in page.content.decode()


def test_logging_in_after_the_switch_keeps_a_users_own_choice(client, doctor, settings):
    settings.SEGMENTA_REQUIRE_MFA = False
    PractitionerProfile.objects.filter(user=doctor).update(language="es")
    client.post("/i18n/setlang/", {"language": "de", "next": "/accounts/login/"})
    client.post("/accounts/login/", {"username": "doctor", "password": PASSWORD})
    assert heading_of_the_list(client)["Content-Language"] == "es"


@pytest.mark.parametrize("language", ["", "de"])
def test_logging_off_forgets_the_session_but_the_login_page_keeps_the_language(doctor_client, language):
    doctor_client.post("/accounts/profile/language/", {"language": language})
    doctor_client.post("/accounts/logout/")
    page = doctor_client.get("/accounts/login/", **ENGLISH_BROWSER)
    assert page["Content-Language"] == (language or "en")
