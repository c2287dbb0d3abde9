"""Chart entries marked "entered in error" count nowhere: the case leaves them out, and with
it the safety check, the strip and the assessment that read the case."""

import datetime

import pytest
from django.utils import timezone

from segmenta import caseformat
from segmenta.knowledge.service import for_clinic
from segmenta.patients import models as m
from segmenta.patients.corrections import mark_in_error
from segmenta.treatment.case import chart_queryset, patient_case
from segmenta.treatment.models import Injection, Session
from segmenta.treatment.safety import check


def case_of(patient):
    return patient_case(chart_queryset().get(pk=patient.pk))


def wrong(item, user):
    mark_in_error(item, user, "recorded in error")


def test_a_full_chart_entered_in_error_leaves_nothing_in_the_case(patient, doctor):
    today = timezone.localdate()
    mistakes = [
        m.Allergy.objects.create(patient=patient, substance="Procaine", allergy_class="ester_local_anaesthetic"),
        m.Medication.objects.create(patient=patient, name="Apixaban", medication_class="anticoagulant"),
        m.Condition.objects.create(patient=patient, code="coagulopathy"),
        m.Complaint.objects.create(patient=patient, description="Shoulder pain", findings=["fever"]),
        m.HistoryItem.objects.create(patient=patient, kind="scar", description="Appendectomy"),
        m.WeightMeasurement.objects.create(patient=patient, date=today, weight_kg=62, height_cm=170),
        m.PregnancyStatus.objects.create(patient=patient, date=today, status="pregnant"),
        m.Consent.objects.create(patient=patient, date=today, scope="all", method="signature",
                                 signature_svg="M1 1L2 2", scopes=["injection_therapy"]),
        m.ChartReview.objects.create(patient=patient, kind="allergies", date=today),
        m.ChartReview.objects.create(patient=patient, kind="medications", date=today),
    ]
    before = case_of(patient)
    assert before["patient"]["allergies"] and before["history"] and before["consent"]["status"] == "given"

    for item in mistakes:
        wrong(item, doctor)
    case = case_of(patient)

    caseformat.validate(case)
    person = case["patient"]
    assert (person["allergies"], person["medications"], person["conditions"]) == ([], [], [])
    assert (person["weight_kg"], person["pregnant"], "height_cm" in person) == (None, None, False)
    assert person["reviewed"] == {"allergies": None, "medications": None, "pregnancy": None}
    assert case["consent"] == {"status": "none"}
    assert (case["complaints"], case["history"], case["findings"]) == ([], [], [])


def test_the_entry_before_one_in_error_counts_again(patient, doctor):
    old = m.WeightMeasurement.objects.create(patient=patient, date=datetime.date(2026, 1, 1), weight_kg=80)
    typo = m.WeightMeasurement.objects.create(patient=patient, date=datetime.date(2026, 2, 1), weight_kg=8)
    assert case_of(patient)["patient"]["weight_kg"] == 8.0
    wrong(typo, doctor)
    assert case_of(patient)["patient"]["weight_kg"] == float(old.weight_kg)


def test_a_test_injection_of_an_item_in_error_is_left_out_with_it(patient, doctor):
    complaint = m.Complaint.objects.create(patient=patient, description="Knee pain")
    scar = m.HistoryItem.objects.create(patient=patient, kind="scar", description="Knee scar")
    session = Session.objects.create(patient=patient, started_at=timezone.now())
    Injection.objects.create(session=session, order=1, time=session.started_at, target="wheal",
                             concentration_percent=1, volume_ml=0.5, verdict="ok", mg=5, cumulative_mg=5,
                             history_item=scar, complaint=complaint, relief_percent=80, onset_seconds=5)
    assert len(case_of(patient)["tests"]) == 1
    wrong(scar, doctor)
    case = case_of(patient)
    caseformat.validate(case)
    assert case["tests"] == []


@pytest.mark.parametrize("in_error, expected", [(False, "block"), (True, None)])
def test_the_safety_check_ignores_an_allergy_entered_in_error(patient, doctor, in_error, expected):
    allergy = m.Allergy.objects.create(patient=patient, substance="Procaine", allergy_class="ester_local_anaesthetic")
    if in_error:
        wrong(allergy, doctor)
    case = case_of(patient)
    case["planned_injections"] = [{"target": "wheal", "drug": "procaine", "concentration_percent": 1,
                                   "volume_ml": 0.5}]
    reasons = check(case, for_clinic(patient.clinic))["injections"][0]["reasons"]
    allergy_verdicts = [r["verdict"] for r in reasons if r["code"] == "allergy"]
    assert allergy_verdicts == ([expected] if expected else [])
