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
        patched.setattr(api_chart, "stored_case_of", lambda clinic_id, patient_id, stamp: (
            case_module.patient_case(case_module.with_case_lists(m.Patient.objects.get(pk=patient_id))), None))
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


def test_a_training_changed_or_removed_is_answered_at_once(patient, doctor, api_client, kept):
    """Without save() or a signal: the training's own triggers renew the people's stamp."""
    record = TrainingRecord.objects.create(profile=doctor.profile, course="Basic", provider="Society",
                                           date="2020-01-01", hours=40, techniques=["wheal"])
    url = reverse("api:patient_case", args=[patient.pk])
    trained = lambda: api_client.get(url).json()["practitioner"]["trained_techniques"]  # noqa: E731
    assert trained() == trained() == ["wheal"]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TrainingRecord._meta.db_table} SET techniques = %s WHERE id = %s",
                       ['["scar", "stellate"]', record.pk])
    assert trained() == ["scar", "stellate"]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TrainingRecord._meta.db_table} SET expiry = %s WHERE id = %s", ["2021-01-01", record.pk])
    assert trained() == []
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TrainingRecord._meta.db_table} SET expiry = NULL WHERE id = %s", [record.pk])
    assert trained() == ["scar", "stellate"]
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TrainingRecord._meta.db_table} WHERE id = %s", [record.pk])
    assert trained() == []


def test_a_kept_export_reads_the_patient_and_its_stamps_in_one_query(patient, api_client, kept,
                                                                      django_assert_num_queries):
    url = reverse("api:patient_case", args=[patient.pk])
    first = api_client.get(url)
    with django_assert_num_queries(3):  # the token, the patient with its stamps, the audit event
        again = api_client.get(url)
    assert again.content == first.content


def test_another_clinics_patient_is_not_found_and_not_recorded(patient, api_client, kept):
    from segmenta.accounts.models import Clinic
    from segmenta.audit.models import AuditEvent

    other = m.Patient.objects.create(clinic=Clinic.objects.create(name="Elsewhere"), family_name="Other",
                                     given_name="O", birth_date="1970-01-01", sex="female")
    before = AuditEvent.objects.count()
    assert api_client.get(reverse("api:patient_case", args=[other.pk])).status_code == 404
    assert AuditEvent.objects.count() == before


def test_the_export_is_recorded_as_before(patient, doctor, api_client, kept):
    from segmenta.audit.models import AuditEvent

    api_client.get(reverse("api:patient_case", args=[patient.pk]))
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.action, event.object_type, event.object_id, event.patient_id, event.clinic_id, event.user_id,
            event.detail) == ("export", "patient", str(patient.pk), patient.pk, patient.clinic_id, doctor.pk,
                              {"format": "case", "api": True})
    assert event.hash == event.compute_hash()


def test_a_training_that_lapses_overnight_is_answered_the_next_day(patient, doctor, api_client, kept, monkeypatch):
    """The techniques kept are those of the day they were read for: the next day is read anew."""
    import datetime

    from django.utils import timezone

    from segmenta.patients import kept as kept_module

    today = timezone.localdate()
    TrainingRecord.objects.create(profile=doctor.profile, course="Basic", provider="Society", date="2020-01-01",
                                  hours=40, techniques=["wheal"], expiry=today)
    url = reverse("api:patient_case", args=[patient.pk])
    assert api_client.get(url).json()["practitioner"]["trained_techniques"] == ["wheal"]
    tomorrow = today + datetime.timedelta(days=1)
    monkeypatch.setattr(kept_module.timezone, "localdate", lambda *args: tomorrow)
    assert api_client.get(url).json()["practitioner"]["trained_techniques"] == []


@pytest.mark.parametrize("address", ["/api/v1/patients/{}", "/api/v1/patients/{}/case"])
def test_an_id_no_database_column_can_hold_is_not_found(api_client, address):
    assert api_client.get(address.format(2**63)).status_code == 404
    assert api_client.get(address.format(2**64 + 5)).status_code == 404
