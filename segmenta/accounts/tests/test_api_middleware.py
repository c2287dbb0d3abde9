"""The two APIs pass by the middleware only pages need (accounts/pages_only.py): no session,
no page policy, but every protection an API answer needs."""

import json

import pytest
from django.contrib.admin.checks import check_dependencies
from django.test import Client, RequestFactory
from django.urls import reverse

from segmenta.accounts.middleware import API_CONTENT_SECURITY_POLICY
from segmenta.accounts.models import ApiToken
from segmenta.accounts.pages_only import pages_only, pages_only_function
from segmenta.patients.models import Patient

from .test_security import REQUIRED_HEADERS


def test_an_api_answer_carries_a_policy_of_its_own_and_no_cookie(api_client, patient):
    response = api_client.get(reverse("api:read_patient", args=[patient.pk]))
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == API_CONTENT_SECURITY_POLICY
    assert response["Cache-Control"] == "no-store"
    for header, value in REQUIRED_HEADERS.items():
        assert response[header] == value
    assert not response.cookies
    # No session was looked at: the answer does not vary by cookie.
    assert "Cookie" not in response.get("Vary", "")


def test_the_fhir_api_passes_by_too(doctor):
    _token, raw = ApiToken.issue(doctor, "fhir")
    response = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/fhir/r4/Patient")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == API_CONTENT_SECURITY_POLICY
    assert not response.cookies


def test_a_logged_in_session_opens_no_api(doctor_client, patient):
    response = doctor_client.get(reverse("api:read_patient", args=[patient.pk]))
    assert response.status_code == 401
    # ... and the page next to it still has its session and its own policy.
    page = doctor_client.get(reverse("patients:detail", args=[patient.pk]))
    assert page.status_code == 200
    assert "default-src 'self'" in page["Content-Security-Policy"]


def test_an_api_change_names_its_author_in_the_history(api_client, doctor, clinic):
    response = api_client.post(reverse("api:create_patient"), json.dumps(
        {"family_name": "Weber", "given_name": "Jana", "birth_date": "1980-03-04", "sex": "female"}),
        content_type="application/json")
    assert response.status_code == 201
    version = Patient.versions.get(id=response.json()["id"])
    assert version.history_user == doctor


def test_the_api_still_speaks_the_callers_language(api_client, clinic):
    response = api_client.post(reverse("api:create_patient"), json.dumps(
        {"family_name": "Weber", "given_name": "Jana", "birth_date": "1980-03-04", "sex": "female"}),
        content_type="application/json", HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 201 and response.json()["language"] == "es"
    assert response["Content-Language"] == "es"


def test_django_still_finds_the_middleware_the_admin_needs():
    assert [error.id for error in check_dependencies()] == []


class _Recorder:
    """A middleware noting which of its parts ran."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.ran = []

    def __call__(self, request):
        self.ran.append("call")
        return self.get_response(request)

    def process_view(self, request, view, args, kwargs):
        self.ran.append("view")

    def process_exception(self, request, exception):
        self.ran.append("exception")


@pytest.mark.parametrize("path, runs", [("/api/v1/patients", False), ("/fhir/r4/Patient", False),
                                        ("/patients/", True), ("/apiary/", True)])
def test_a_wrapped_middleware_runs_for_pages_only(path, runs):
    request = RequestFactory().get(path)
    middleware = pages_only(_Recorder)(lambda request: "answer")
    assert isinstance(middleware, _Recorder)
    assert middleware(request) == "answer"
    assert middleware.process_view(request, None, (), {}) is None
    assert middleware.process_exception(request, ValueError()) is None
    assert middleware.ran == (["call", "view", "exception"] if runs else [])


@pytest.mark.parametrize("path, runs", [("/api/v1/patients", False), ("/patients/", True)])
def test_a_wrapped_function_middleware_runs_for_pages_only(path, runs):
    ran = []

    def factory(get_response):
        def middleware(request):
            ran.append(request.path)
            return get_response(request)
        return middleware

    assert pages_only_function(factory)(lambda request: "answer")(RequestFactory().get(path)) == "answer"
    assert ran == ([path] if runs else [])
