"""API tokens expire: 90 days after creation unless SEGMENTA_TOKEN_DAYS or the person
creating one says otherwise. An expired token gets 401 saying it expired; the profile page
shows when each token expires."""

import datetime
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from segmenta.accounts.models import ApiToken
from segmenta.conftest import PASSWORD, browser_login, reauthenticated


def api_get(raw):
    return Client().get(reverse("api:list_patients"), HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_a_new_token_expires_after_90_days_by_default(doctor):
    token, _raw = ApiToken.issue(doctor, "x")
    assert token.expires_at - token.created_at == pytest.approx(datetime.timedelta(days=90),
                                                                abs=datetime.timedelta(seconds=5))


def test_the_default_comes_from_the_setting(doctor, settings):
    settings.SEGMENTA_TOKEN_DAYS = 7
    token, _raw = ApiToken.issue(doctor, "x")
    assert (token.expires_at - timezone.now()).days == 6  # 7 days less the moment since


def test_an_expired_token_answers_401_saying_it_expired(doctor, patient):
    token, raw = ApiToken.issue(doctor, "x")
    assert api_get(raw).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = api_get(raw)
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_an_unknown_token_does_not_claim_to_have_expired(db):
    response = api_get("sgm_" + "x" * 40)
    assert response.status_code == 401 and "expired" not in response.json()["detail"]


def test_a_token_created_on_the_profile_page_gets_the_chosen_expiry(doctor_client):
    response = reauthenticated(doctor_client).post(reverse("accounts:token_create"), {"name": "bridge", "days": "30"})
    assert response.status_code == 200
    token = ApiToken.objects.get()
    assert (token.expires_at - timezone.now()).days == 29
    assert timezone.localtime(token.expires_at).strftime("%Y-%m-%d") in response.content.decode()


@pytest.mark.parametrize("days", ["0", "-1", "366", "soon"])
def test_an_expiry_out_of_range_is_a_form_error_at_the_field(doctor_client, days):
    response = reauthenticated(doctor_client).post(reverse("accounts:token_create"), {"name": "bridge", "days": days})
    assert response.status_code == 400
    assert response.context["token_form"].errors["days"]
    assert not ApiToken.objects.exists()


def test_the_profile_page_shows_each_tokens_expiry(doctor_client, doctor):
    token, _raw = ApiToken.issue(doctor, "bridge", days=12)
    old, _raw = ApiToken.issue(doctor, "old")
    ApiToken.objects.filter(pk=old.pk).update(expires_at=timezone.now() - datetime.timedelta(days=1))
    html = doctor_client.get(reverse("accounts:profile")).content.decode()
    assert timezone.localtime(token.expires_at).strftime("%Y-%m-%d") in html
    assert "expired" in html


def test_the_token_command_prints_the_expiry(doctor, capsys):
    call_command("token", "doctor")
    out = capsys.readouterr().out
    assert "expires" in out


@pytest.mark.browser
def test_creating_a_token_with_an_expiry_in_the_browser(page, settings, doctor):
    settings.SEGMENTA_REQUIRE_MFA = False
    browser_login(page, "doctor")
    page.goto("/accounts/profile/")
    page.get_by_label("What is this token for?").fill("Lab bridge")
    page.get_by_label("Valid for (days)").fill("30")
    page.get_by_role("button", name="Create a token").click()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/accounts/profile/")
    page.get_by_label("What is this token for?").fill("Lab bridge")
    page.get_by_label("Valid for (days)").fill("30")
    page.get_by_role("button", name="Create a token").click()
    page.locator("#new-token").wait_for()
    page.get_by_role("link", name="Back to your profile").click()
    expires = timezone.localtime(ApiToken.objects.get().expires_at).strftime("%Y-%m-%d")
    row = page.get_by_role("row").filter(has_text="Lab bridge")
    assert expires in row.inner_text()


def test_the_token_command_takes_a_number_of_days(doctor, capsys):
    call_command("token", "doctor", "--days", "5")
    assert (ApiToken.objects.get().expires_at - timezone.now()).days == 4
    with pytest.raises(CommandError, match="--days"):
        call_command("token", "doctor", "--days", "0")


@pytest.mark.django_db(transaction=True)
def test_existing_tokens_get_90_days_and_none_is_expired_by_the_upgrade(doctor):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from segmenta.patients import stamps

    stamps.uninstall(connection)  # as `migrate` does first: SQLite's table rebuilds would trip on them
    executor = MigrationExecutor(connection)
    executor.migrate([("accounts", "0003_retention_years")])
    old_apps = executor.loader.project_state([("accounts", "0003_retention_years")]).apps
    Token = old_apps.get_model("accounts", "ApiToken")
    now = timezone.now()
    recent = Token.objects.create(user_id=doctor.pk, key_prefix="sgm_recent", key_hash="a" * 64)
    ancient = Token.objects.create(user_id=doctor.pk, key_prefix="sgm_ancient", key_hash="b" * 64)
    Token.objects.filter(pk=recent.pk).update(created_at=now - datetime.timedelta(days=10))
    Token.objects.filter(pk=ancient.pk).update(created_at=now - datetime.timedelta(days=400))
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    stamps.install(connection)
    recent, ancient = ApiToken.objects.get(key_prefix="sgm_recent"), ApiToken.objects.get(key_prefix="sgm_ancient")
    assert recent.expires_at == now - datetime.timedelta(days=10) + datetime.timedelta(days=90)
    assert now + datetime.timedelta(days=90) <= ancient.expires_at <= timezone.now() + datetime.timedelta(days=90)
