"""Whatever reaches /api/v1/ is answered with the API's JSON error body, never the site's
HTML or plain text: found by schemathesis (test_api_fuzz.py)."""

import pytest


@pytest.mark.parametrize("method,url", [
    ("get", "/api/v1/patients/-1"),
    ("post", "/api/v1/patients/-156/sessions"),
    ("patch", "/api/v1/sessions/x"),
    ("get", "/api/v1/no-such-thing"),
    ("post", "/api/v1/patients/true/complaints/%0D%0A/entered-in-error"),
])
def test_an_address_the_api_does_not_have_answers_a_json_404(api_client, method, url):
    response = getattr(api_client, method)(url)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "not found"}


def test_a_nul_character_in_the_query_is_a_json_422_naming_the_parameter(api_client, patient):
    response = api_client.get("/api/v1/patients", {"q": "Mus\x00ter"})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "q", "message": "contains a NUL character"}]


def test_a_nul_character_on_a_page_is_still_a_plain_400(doctor_client):
    response = doctor_client.get("/patients/", {"q": "Mus\x00ter"})
    assert response.status_code == 400 and response["Content-Type"].startswith("text/plain")


def test_a_body_that_is_no_utf8_is_a_json_400(api_client):
    response = api_client.post("/api/v1/assess", b"\xff\xfe{", content_type="application/json")
    assert response.status_code == 400 and response.json() == {"detail": "body: not UTF-8 text"}
