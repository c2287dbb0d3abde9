"""The OpenAPI document: open in development, behind a valid bearer token in production."""

import pytest
from django.test import Client

from segmenta.accounts.models import ApiToken

URL = "/api/v1/openapi.json"


def test_in_development_the_schema_is_open(db):
    assert Client().get(URL).status_code == 200


@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Token abc"])
def test_in_production_the_schema_needs_a_valid_token(db, settings, header):
    settings.PRODUCTION = True
    client = Client(HTTP_AUTHORIZATION=header) if header else Client()
    response = client.get(URL)
    assert response.status_code == 401 and response.json()["errors"][0]["field"] == "Authorization"


def test_in_production_a_valid_token_reads_the_schema_and_a_revoked_one_does_not(db, settings, doctor):
    settings.PRODUCTION = True
    token, raw = ApiToken.issue(doctor, "client")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert "/api/v1/patients" in client.get(URL).json()["paths"]
    token.revoke()
    assert client.get(URL).status_code == 401
