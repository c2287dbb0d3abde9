"""The request size limit: a body larger than SEGMENTA_MAX_REQUEST_BYTES is refused with
413 before anything reads it, anonymous or logged in; one without a length is refused."""

from django.test import Client
from django.urls import reverse

from segmenta.conftest import PASSWORD


class UnreadableBody:
    """A body that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def test_a_huge_anonymous_post_to_the_login_page_is_refused_unread(db):
    response = Client().generic("POST", reverse("accounts:login"), b"",
                                content_type="application/x-www-form-urlencoded",
                                CONTENT_LENGTH=str(300 * 1024 * 1024), **{"wsgi.input": UnreadableBody()})
    assert response.status_code == 413
    assert "too large" in response.content.decode()


def test_a_one_gigabyte_scan_is_refused_before_it_is_spooled(doctor_client):
    response = doctor_client.generic("POST", reverse("accounts:training_add"), b"",
                                     content_type="multipart/form-data; boundary=xyz",
                                     CONTENT_LENGTH=str(1024 ** 3), **{"wsgi.input": UnreadableBody()})
    assert response.status_code == 413


def test_the_limit_is_a_setting(settings, db):
    settings.SEGMENTA_MAX_REQUEST_BYTES = 1000
    client = Client()
    assert client.post(reverse("accounts:login"), {"username": "x" * 2000, "password": PASSWORD}).status_code == 413
    assert client.post(reverse("accounts:login"), {"username": "x", "password": PASSWORD}).status_code == 200


def test_the_default_allows_an_upload_at_the_upload_limit(settings):
    assert settings.SEGMENTA_MAX_REQUEST_BYTES > settings.SEGMENTA_MAX_UPLOAD_BYTES


def test_the_api_answers_413_in_its_error_format(db):
    response = Client().generic("POST", "/api/patients", b"", content_type="application/json",
                                CONTENT_LENGTH=str(50 * 1024 * 1024), **{"wsgi.input": UnreadableBody()})
    assert response.status_code == 413
    assert response.json()["errors"][0]["field"] == "body"


def test_a_body_without_a_length_is_refused(db):
    response = Client().generic("POST", reverse("accounts:login"), b"",
                                content_type="application/x-www-form-urlencoded",
                                HTTP_TRANSFER_ENCODING="chunked", **{"wsgi.input": UnreadableBody()})
    assert response.status_code == 411
