"""Deciding twice (a double submit, two tabs open on the same report): a held patient's
records are taken once, a proposal enters the chart once. The decision locks its row and reads
it again, so the second one, holding a stale copy, finds it decided and does nothing more."""

import datetime

import pytest
from django.urls import reverse

from segmenta.conftest import make_patient
from segmenta.interop.fhir import imports
from segmenta.interop.models import FieldProposal, PendingPatient
from segmenta.patients.models import HistoryItem, Medication, Patient

from .test_fhir_import import SNOMED, bundle, coded, medication, person, run


@pytest.fixture
def held(clinic, doctor):
    make_patient(clinic, family="Keller", given="Eva", birth_date=datetime.date(1971, 3, 12))
    run(clinic, bundle(person(pid="h1", family="Keller", given=("Eva",)),
                       medication("m1", "Metoprolol 47.5 mg", patient="h1")), doctor)
    return PendingPatient.objects.get()


@pytest.fixture
def proposal(clinic, doctor):
    run(clinic, bundle(person(), {"resourceType": "Procedure", "id": "x1", "status": "completed",
                                  "subject": {"reference": "Patient/p1"},
                                  "code": coded(SNOMED, "80146002", "Appendectomy"),
                                  "performedDateTime": "1988-07-02"}), doctor)
    return FieldProposal.objects.get()


def test_a_held_patient_decided_twice_is_taken_once(held, doctor, clinic):
    first_tab, second_tab = PendingPatient.objects.get(pk=held.pk), PendingPatient.objects.get(pk=held.pk)
    imports.decide(first_tab, doctor)
    with pytest.raises(imports.AlreadyDecided):
        imports.decide(second_tab, doctor)  # its copy still says undecided
    assert Patient.objects.filter(clinic=clinic).count() == 2
    assert Medication.objects.filter(clinic=clinic, name="Metoprolol 47.5 mg").count() == 1


def test_a_proposal_accepted_twice_or_accepted_and_rejected_enters_the_chart_once(proposal, doctor, clinic):
    first_tab, second_tab = FieldProposal.objects.get(pk=proposal.pk), FieldProposal.objects.get(pk=proposal.pk)
    imports.accept(first_tab, doctor)
    with pytest.raises(imports.AlreadyDecided):
        imports.accept(second_tab, doctor)
    with pytest.raises(imports.AlreadyDecided):
        imports.reject(second_tab, doctor)
    assert HistoryItem.objects.filter(clinic=clinic).count() == 1
    assert FieldProposal.objects.get().status == FieldProposal.Status.ACCEPTED


def test_the_second_submit_is_answered_calmly(proposal, held, doctor_client, clinic):
    url = reverse("imports:proposal_decide", args=[proposal.patient_id, proposal.pk])
    data = {f"p{proposal.pk}-description": "Appendectomy", f"p{proposal.pk}-date": "1988-07-02"}
    assert doctor_client.post(url, data).status_code == 302
    again = doctor_client.post(url, data, follow=True)
    assert again.status_code == 200 and "already been decided" in again.content.decode()
    assert HistoryItem.objects.filter(clinic=clinic).count() == 1
    decide = reverse("imports:decide", args=[held.pk])
    assert doctor_client.post(decide, {"patient": "new"}).status_code == 302
    again = doctor_client.post(decide, {"patient": "new"}, follow=True)
    assert again.status_code == 200 and "already decided who this is" in again.content.decode()
    assert Medication.objects.filter(clinic=clinic, name="Metoprolol 47.5 mg").count() == 1
