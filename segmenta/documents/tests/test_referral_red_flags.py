"""The referral letter's red flags: "none found" only where a screening found none. Without a
recorded screening the draft says none is recorded; with one it names its date and result."""

import datetime

from django.utils import translation

from segmenta.assessment.models import RedFlagScreening
from segmenta.conftest import make_patient
from segmenta.documents import content
from segmenta.patients.models import Complaint

from .conftest import signed_session


def patient_with_complaint(demo_clinic):
    patient = make_patient(demo_clinic)
    complaint = Complaint.objects.create(patient=patient, description="Low back pain", regions=["lower_back"])
    return patient, complaint


def test_no_screening_recorded_is_said_never_none_found(demo):
    patient, _complaint = patient_with_complaint(signed_session().patient.clinic)
    with translation.override("en"):
        said = content.referral_draft(patient)["red_flags"]
    assert said == "No red-flag screening is recorded in the chart."
    assert "none found" not in said.lower()


def test_a_screening_is_named_with_its_date_and_result(demo):
    patient, complaint = patient_with_complaint(signed_session().patient.clinic)
    RedFlagScreening.objects.create(patient=patient, complaint=complaint, date=datetime.date(2026, 2, 3),
                                    answers={"saddle_anaesthesia": "no", "night_pain": "no",
                                             "cancer_history": "not_asked"}, knowledge_version="test")
    with translation.override("en"):
        said = content.referral_draft(patient)["red_flags"]
    assert said == ("Red-flag screening of 2026-02-03 (Low back pain): no red flag: 2 questions answered no; "
                    "1 not asked")
    # A later screening of the same complaint replaces the earlier one; a yes is named (and is a flag).
    RedFlagScreening.objects.create(patient=patient, complaint=complaint, date=datetime.date(2026, 3, 4),
                                    answers={"night_pain": "yes", "saddle_anaesthesia": "no"}, knowledge_version="test")
    Complaint.objects.filter(pk=complaint.pk).update(findings=["night_pain"])
    with translation.override("en"):
        said = content.referral_draft(patient)["red_flags"].splitlines()
    assert len(said) == 2 and said[0].startswith("Night pain")
    assert said[1].startswith("Red-flag screening of 2026-03-04 (Low back pain): positive: Night pain")
