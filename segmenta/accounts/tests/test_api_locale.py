"""An API request's language is worked out once per language cookie and Accept-Language
header (accounts/language.py LocaleMiddleware): it is the language Django's own
LocaleMiddleware takes, and the answer says so in the same headers."""

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.test import RequestFactory
from django.utils import translation

from segmenta.accounts import language

HEADERS = ["", "de", "es-ES,es;q=0.9", "fr-CH, fr;q=0.9, en;q=0.8", "de-AT", "*", "xx, es;q=0.1", "en-GB,en;q=0.9",
           "zz-ZZ", "de;q=0, es"]
COOKIES = [None, "de", "es", "fr", "", "en"]


def answered(middleware_class, path, cookie, accept):
    request = RequestFactory().get(path, HTTP_ACCEPT_LANGUAGE=accept)
    if cookie is not None:
        request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = cookie
    seen = {}

    def view(request):
        seen["active"] = translation.get_language()
        return HttpResponse("{}", content_type="application/json")

    with translation.override("en"):
        response = middleware_class(view)(request)
    return request.LANGUAGE_CODE, seen["active"], response.get("Content-Language"), response.get("Vary")


@pytest.mark.parametrize("path", ["/api/v1/patients", "/fhir/r4/Patient/1", "/patients/"])
def test_the_language_is_djangos_for_every_cookie_and_header(path):
    language._language_of.cache_clear()
    for cookie in COOKIES:
        for accept in HEADERS:
            ours = answered(language.LocaleMiddleware, path, cookie, accept)
            assert ours == answered(DjangoLocaleMiddleware, path, cookie, accept), (cookie, accept)
            assert ours == answered(language.LocaleMiddleware, path, cookie, accept)  # and when kept
    assert language._language_of.cache_info().currsize == (0 if path == "/patients/" else
                                                           len(COOKIES) * len(HEADERS))


def test_an_api_answer_says_its_language(api_client):
    response = api_client.get("/api/v1/patients", HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9")
    assert response["Content-Language"] == "es"
    assert "Accept-Language" in response["Vary"]
    assert api_client.get("/api/v1/patients", HTTP_ACCEPT_LANGUAGE="de")["Content-Language"] == "de"


def test_what_is_kept_is_forgotten_when_the_languages_change(settings):
    answered(language.LocaleMiddleware, "/api/v1/patients", None, "es")
    assert language._language_of.cache_info().currsize > 0
    settings.LANGUAGE_CODE = "de"
    assert language._language_of.cache_info().currsize == 0
    assert answered(language.LocaleMiddleware, "/api/v1/patients", None, "") == \
        answered(DjangoLocaleMiddleware, "/api/v1/patients", None, "")
