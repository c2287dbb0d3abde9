"""A draft session started by mistake, with nothing recorded in it, can be discarded
(audited); a draft holding anything, or a signed session, cannot."""

import pytest
from django.test import Client
from django.urls import reverse

from segmenta.audit.models import AuditEvent
from segmenta.conftest import login_verified
from segmenta.patients import models as pm
from segmenta.treatment.models import ComplaintScore, Injection, Session


@pytest.fixture
def draft(patient, doctor):
    return Session.objects.create(patient=patient, started_at="2026-11-25T10:00:00+01:00", practitioner=doctor)


def discard(client, session):
    return client.post(reverse("treatment:discard", args=[session.pk]))


def test_an_empty_draft_is_discarded_and_audited(doctor_client, draft, patient):
    response = discard(doctor_client, draft)
    assert response.status_code == 302 and response.url == reverse("patients:detail", args=[patient.pk])
    assert not Session.objects.exists()
    event = AuditEvent.objects.get(action="delete", object_type="session")
    assert event.object_id == str(draft.pk) and event.patient_id == patient.pk
    assert event.detail["started_at"].startswith("2026-11-25T09:00")


def test_the_page_offers_discarding_only_while_the_draft_is_empty(doctor_client, draft):
    url = reverse("treatment:session", args=[draft.pk])
    assert reverse("treatment:discard", args=[draft.pk]) in doctor_client.get(url).content.decode()
    Injection.objects.create(session=draft, order=1, time=draft.started_at, target="wheal", concentration_percent=1,
                             volume_ml=0.5, verdict="ok", mg=5, cumulative_mg=5)
    assert reverse("treatment:discard", args=[draft.pk]) not in doctor_client.get(url).content.decode()


@pytest.mark.parametrize("holds", ["injection", "score", "notes"])
def test_a_draft_holding_something_is_not_discarded(doctor_client, draft, patient, holds):
    if holds == "injection":
        Injection.objects.create(session=draft, order=1, time=draft.started_at, target="wheal",
                                 concentration_percent=1, volume_ml=0.5, verdict="ok", mg=5, cumulative_mg=5)
    elif holds == "score":
        complaint = pm.Complaint.objects.create(patient=patient, description="Neck pain")
        ComplaintScore.objects.create(session=draft, complaint=complaint, pre_nrs=5)
    else:
        draft.notes = "patient arrived late"
        draft.save()
    discard(doctor_client, draft)
    assert Session.objects.filter(pk=draft.pk).exists()
    assert not AuditEvent.objects.filter(action="delete").exists()


def test_a_signed_session_is_never_discarded(doctor_client, draft):
    doctor_client.post(reverse("treatment:sign", args=[draft.pk]))
    discard(doctor_client, draft)
    assert Session.objects.get(pk=draft.pk).signed


def test_another_clinics_draft_is_404(draft, outsider):
    assert discard(login_verified(Client(), outsider), draft).status_code == 404
    assert Session.objects.filter(pk=draft.pk).exists()


def test_the_api_discards_an_empty_draft_and_refuses_a_signed_one(api_client, draft, patient, doctor):
    url = reverse("api:discard_session", args=[draft.pk])
    assert api_client.delete(url).status_code == 204 and not Session.objects.exists()
    signed = Session.objects.create(patient=patient, started_at="2026-11-26T10:00:00+01:00", practitioner=doctor)
    api_client.post(reverse("api:sign_session", args=[signed.pk]))
    assert api_client.delete(reverse("api:discard_session", args=[signed.pk])).status_code == 409
    assert Session.objects.filter(pk=signed.pk).exists()
