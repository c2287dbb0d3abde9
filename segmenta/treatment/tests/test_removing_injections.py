"""A mistaken injection is removed from a draft with a reason: it stays in the injection's
versions with its removal (who, when, why), the page lists it as removed, the audit trail
has it, and the running total of what remains no longer counts it. Signed sessions, and
injections an adverse event or a follow-up refers to, refuse."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from segmenta.audit.models import AuditEvent
from segmenta.patients import models as pm
from segmenta.treatment.models import AdverseEvent, FollowUp, Injection, Session
from segmenta.treatment.sessions import TreatmentError, remove_injection
from segmenta.treatment.tests.posting import form_data


@pytest.fixture
def session(patient, doctor):
    pm.WeightMeasurement.objects.create(patient=patient, date="2026-11-01", weight_kg=60)
    return Session.objects.create(patient=patient, started_at="2026-11-25T10:00:00+01:00", practitioner=doctor)


def add(session, order, ml, total, **extra):
    return Injection.objects.create(session=session, order=order, time=session.started_at, target="wheal",
                                    concentration_percent=1, volume_ml=ml, verdict="ok", mg=ml * 10,
                                    cumulative_mg=total, **extra)


@pytest.fixture
def three(session):
    return [add(session, 1, 1, 10), add(session, 2, 2, 30), add(session, 3, 0.5, 35)]


def remove(client, injection, reason="entered twice"):
    return client.post(reverse("treatment:injection_remove", args=[injection.session_id, injection.pk]),
                       form_data(f"remove-{injection.pk}", {"reason": reason}))


def test_a_removed_injection_is_kept_in_its_versions_with_who_and_why(doctor_client, doctor, three):
    mistaken = three[1]
    response = remove(doctor_client, mistaken)
    assert response.status_code == 302 and response.url.endswith("#injections")
    assert not Injection.objects.filter(pk=mistaken.pk).exists()
    removal = Injection.versions.get(id=mistaken.pk, history_type="-")
    assert (removal.order, removal.volume_ml, removal.history_user, removal.history_change_reason) == \
        (2, Decimal("2.00"), doctor, "entered twice")
    event = AuditEvent.objects.get(action="delete", object_type="injection")
    assert event.object_id == str(mistaken.pk) and event.detail["reason"] == "entered twice"
    assert event.detail["order"] == 2 and event.detail["mg"] == "20.00"


def test_the_running_total_after_a_removed_injection_drops_its_dose(doctor_client, three):
    remove(doctor_client, three[1])
    assert [(i.order, float(i.cumulative_mg)) for i in Injection.objects.order_by("order")] == [(1, 10), (3, 15)]
    # The total the later one showed before is kept in its versions.
    assert [float(v.cumulative_mg) for v in three[2].versions.order_by("history_date", "history_id")] == [35, 15]


def test_the_page_shows_the_removal_as_history_of_the_session(doctor_client, three, session):
    remove(doctor_client, three[1], reason="wrong patient")
    html = doctor_client.get(reverse("treatment:session", args=[session.pk])).content.decode()
    removed = html[html.index("Removed as entered by mistake"):]
    assert "#2 Wheal (intracutaneous)" in removed and "Removed by doctor" in removed and "wrong patient" in removed


def test_a_removed_injections_number_is_not_given_again(doctor_client, three, session):
    remove(doctor_client, three[2])
    doctor_client.post(reverse("treatment:injection_add", args=[session.pk]), form_data("injection", {
        "time": "2026-11-25T10:05", "target": "wheal", "drug": "procaine", "concentration_percent": "1",
        "volume_ml": "0.5", "map_regions": "[]", "action": "save"}))
    assert list(Injection.objects.order_by("order").values_list("order", flat=True)) == [1, 2, 4]


def test_removal_without_a_reason_is_refused_naming_the_field(doctor_client, three):
    response = remove(doctor_client, three[0], reason="  ")
    assert response.status_code == 400 and "reason" in response.context["injections"][0].remove_form.errors
    assert Injection.objects.count() == 3


def test_a_signed_session_keeps_its_injections(doctor_client, three, session):
    doctor_client.post(reverse("treatment:sign", args=[session.pk]))
    remove(doctor_client, three[0])
    assert Injection.objects.count() == 3 and not AuditEvent.objects.filter(action="delete").exists()


@pytest.mark.parametrize("reference", ["adverse event", "follow-up"])
def test_an_injection_something_refers_to_was_given_and_stays(doctor, three, session, reference):
    if reference == "adverse event":
        AdverseEvent.objects.create(session=session, injection=three[0], kind="vasovagal")
    else:
        FollowUp.objects.create(session=session, injection=three[0], reported_at=session.started_at)
    with pytest.raises(TreatmentError) as refused:
        remove_injection(three[0], doctor, "entered twice")
    assert refused.value.field == "injection" and "#1" in refused.value.message
    assert Injection.objects.filter(pk=three[0].pk).exists()


def test_the_api_removes_a_mistaken_injection_and_lists_it_as_removed(api_client, three, session):
    url = reverse("api:remove_injection", args=[session.pk, three[1].pk])
    missing = api_client.post(url, json.dumps({}), content_type="application/json")
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "reason"
    response = api_client.post(url, json.dumps({"reason": "entered twice"}), content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert [i["order"] for i in body["injections"]] == [1, 3]
    assert [(r["order"], r["removed_by"], r["reason"]) for r in body["removed_injections"]] == \
        [(2, "doctor", "entered twice")]
    assert api_client.post(url, json.dumps({"reason": "again"}), content_type="application/json").status_code == 404
