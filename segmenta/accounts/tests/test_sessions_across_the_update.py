"""Sessions open when the project's own auth backend took the place of Django's stay open:
migration 0009 rewrites the backend they name."""

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.db import connection
from django.urls import reverse

from segmenta.conftest import login_verified

pytestmark = pytest.mark.django_db
update = importlib.import_module("segmenta.accounts.migrations.0009_sessions_name_the_project_backend")


def named_backend(client):
    return client.session["_auth_user_backend"]


def test_a_session_opened_before_the_update_stays_open(client, doctor, patient):
    signed_in = login_verified(client, doctor)
    assert named_backend(signed_in) == update.NEW
    session = signed_in.session
    session["_auth_user_backend"] = update.OLD  # as Django's backend signed it in, before the update
    session.save()
    chart = reverse("patients:detail", args=[patient.pk])
    assert signed_in.get(chart).status_code == 302  # Django would take it as signed out
    untouched = Session.objects.count()
    update.forwards(apps, SimpleNamespace(connection=connection))
    assert named_backend(signed_in) == update.NEW and Session.objects.count() == untouched
    assert signed_in.get(chart).status_code == 200
    update.backwards(apps, SimpleNamespace(connection=connection))
    assert named_backend(signed_in) == update.OLD
