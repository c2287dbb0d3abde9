"""The case export keeps its JSON, under the case's key and the caller's practitioner block:
its answers are byte for byte what django-ninja writes of the case, and a change to the
chart or to the caller's training is answered at once."""

import pytest
from django.db import connection
from django.urls import reverse

from segmenta.accounts.models import ApiToken, TrainingRecord
from segmenta.api import chart as api_chart
from segmenta.conftest import make_user
from segmenta.patients import models as m
from segmenta.patients.kept import Kept
from segmenta.treatment import case as case_module

pytestmark = pytest.mark.django_db


@pytest.fixture
def kept(monkeypatch):
    store = Kept(100)
    monkeypatch.setattr(api_chart, "_CASE_JSON", store)
    return store


def unkept(client, patient, monkeypatch):
    """The answer as django-ninja writes the case when nothing is kept (no stamps)."""
    with monkeypatch.context() as patched:
        patched.setattr(api_chart, "stored_case_and_key",
                        lambda p: (case_module.patient_case(case_module.with_case_lists(p)), None))
        return client.get(reverse("api:patient_case", args=[patient.pk])).content


def test_the_kept_answer_is_what_django_ninja_writes(patient, doctor, api_client, kept, monkeypatch):
    m.Allergy.objects.create(patient=patient, substance="latex", allergy_class="other")
    m.HistoryItem.objects.create(patient=patient, kind="tooth", tooth="38", description="Extraction", date="1998")
    TrainingRecord.objects.create(profile=doctor.profile, course="Basic", provider="Society", date="2020-01-01",
                                  hours=40, techniques=["wheal", "scar"])
    url = reverse("api:patient_case", args=[patient.pk])
    first, again = api_client.get(url), api_client.get(url)
    assert first.content == again.content == unkept(api_client, patient, monkeypatch)
    assert first["Content-Type"] == "application/json; charset=utf-8"
    assert first.json()["practitioner"]["trained_techniques"] == ["scar", "wheal"]
    assert len(kept._values) == 1


def test_each_caller_gets_their_own_practitioner_block(patient, doctor, clinic, api_client, kept):
    colleague = make_user("colleague", clinic)
    _token, raw = ApiToken.issue(colleague, "t")
    TrainingRecord.objects.create(profile=doctor.profile, course="Basic", provider="Society", date="2020-01-01",
                                  hours=40, techniques=["stellate"])
    url = reverse("api:patient_case", args=[patient.pk])
    mine = api_client.get(url).json()["practitioner"]
    theirs = api_client.get(url, HTTP_AUTHORIZATION=f"Bearer {raw}").json()["practitioner"]
    assert mine["trained_techniques"] == ["stellate"] and theirs["trained_techniques"] == []
    # A training recorded later is answered at once, though nothing of the chart changed.
    TrainingRecord.objects.create(profile=colleague.profile, course="Basic", provider="Society", date="2020-01-01",
                                  hours=40, techniques=["wheal"])
    assert api_client.get(url, HTTP_AUTHORIZATION=f"Bearer {raw}").json()["practitioner"]["trained_techniques"] == [
        "wheal"]
    assert len(kept._values) == 3


def test_a_change_to_the_chart_is_answered_at_once(patient, api_client, kept, monkeypatch):
    allergy = m.Allergy.objects.create(patient=patient, substance="latex", allergy_class="other")
    url = reverse("api:patient_case", args=[patient.pk])
    assert [a["substance"] for a in api_client.get(url).json()["patient"]["allergies"]] == ["latex"]
    with connection.cursor() as cursor:  # no save(), no signal: the stamp's trigger sees it
        cursor.execute(f"UPDATE {m.Allergy._meta.db_table} SET substance = %s WHERE id = %s", ["iodine", allergy.pk])
    after = api_client.get(url)
    assert [a["substance"] for a in after.json()["patient"]["allergies"]] == ["iodine"]
    assert after.content == unkept(api_client, patient, monkeypatch)
    assert len(kept._values) == 2
