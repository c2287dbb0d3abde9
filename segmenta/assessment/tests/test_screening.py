"""The structured red-flag screening of a complaint: the questions its regions call for,
the stored answers, the findings they add, the audit trail and the Assess page."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from segmenta.assessment import screening
from segmenta.assessment.models import RedFlagScreening
from segmenta.audit.models import AuditEvent
from segmenta.knowledge import vocabulary
from segmenta.knowledge.base import load
from segmenta.patients import models as m


def asked(regions=(), organs=()):
    groups = screening.questions({"regions": [{"region": r} for r in regions], "organs": list(organs)}, load())
    return [area["id"] for area, _flags in groups], {flag["id"] for _area, flags in groups for flag in flags}


def test_a_headache_is_screened_for_headache_flags_and_the_ones_every_complaint_needs():
    areas, codes = asked(["temple"])
    assert areas == ["headache", "any"]
    assert {"papilloedema", "jaw_claudication_scalp_tenderness", "thunderclap_onset", "syncope", "anaemia"} <= codes
    assert "saddle_anaesthesia" not in codes and "rectal_bleeding" not in codes


def test_low_back_pain_is_screened_for_the_spinal_flags():
    areas, codes = asked(["lower_back"])
    assert areas == ["spine", "any"] and {"saddle_anaesthesia", "bladder_bowel_dysfunction"} <= codes
    assert "papilloedema" not in codes


def test_pelvic_organs_bring_the_pelvic_flags():
    areas, codes = asked(["pelvis"], ["uterus"])
    assert areas == ["pelvis", "any"]
    assert {"postmenopausal_bleeding", "rectal_bleeding", "possible_pregnancy"} <= codes


def test_the_abdomen_and_the_chest_get_their_own_flags():
    _areas, abdomen = asked(["abdomen_upper"])
    _areas, chest = asked(["chest"])
    assert {"jaundice", "dysphagia", "abdominal_mass", "gi_bleeding"} <= abdomen
    assert {"haemoptysis", "dysphagia", "exertional_chest_pain", "dyspnoea"} <= chest


def test_a_complaint_without_regions_or_organs_gets_every_question():
    """Where the region is unknown, no question can be left out."""
    areas, codes = asked()
    assert areas == ["headache", "spine", "abdomen", "pelvis", "chest", "any"]
    assert codes == {c for c in vocabulary.codes("finding") if load().get("red-flag", c)}


def test_each_flag_is_asked_once_and_derived_flags_are_not_questions():
    groups = screening.questions({"regions": [{"region": "abdomen_lower"}, {"region": "pelvis"}]}, load())
    codes = [flag["id"] for _area, flags in groups for flag in flags]
    assert len(codes) == len(set(codes)) and "new_pain_over_50" not in codes


def test_body_map_segments_count_as_their_regions():
    groups = screening.questions({"regions": [{"choir": 101}]}, load())  # the head, front
    assert [area["id"] for area, _flags in groups][0] == "headache"


def test_answers_are_checked_and_each_problem_names_its_question():
    problems = screening.check_answers({"syncope": "maybe", "papilloedema": "no", "fever": "yes"},
                                       ["syncope", "papilloedema", "anaemia"])
    assert problems == ["answers.syncope: 'maybe' is not one of yes, no, not_asked",
                        "answers.fever: not a question of this screening", "answers.anaemia: no answer"]


def test_yes_adds_a_finding_and_no_never_removes_one():
    after = screening.findings_after(["night_pain"], {"night_pain": "no", "syncope": "yes", "anaemia": "not_asked",
                                                      "papilloedema": "yes"})
    assert after == ["night_pain", "papilloedema", "syncope"]


# --- The page -----------------------------------------------------------------------

@pytest.fixture
def headache(patient):
    return m.Complaint.objects.create(patient=patient, description="Left-sided headache", onset="2026-09",
                                      regions=[{"region": "temple", "side": "left"}], findings=["seizure"])


def url(patient, complaint, **query):
    base = reverse("assessment:screening", args=[patient.pk, complaint.pk])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def all_answered(complaint, answer="no", **overrides):
    groups = screening.questions({"regions": complaint.regions, "organs": complaint.organs}, load())
    data = {flag["id"]: answer for _area, flags in groups for flag in flags}
    data.update(overrides)
    data["date"] = date.today().isoformat()
    return data


def test_the_screening_page_asks_the_complaints_questions_and_is_audited(doctor_client, patient, headache):
    html = doctor_client.get(url(patient, headache)).content.decode()
    assert "Left-sided headache" in html and "Papilloedema" in html and "Saddle anaesthesia" not in html
    assert "Already recorded on this complaint." in html  # the seizure finding starts at "yes"
    assert AuditEvent.objects.filter(action="view", patient=patient, object_type="complaint",
                                     detail__form="red_flag_screening").exists()


def test_saving_stores_every_answer_and_adds_the_yes_answers_to_the_findings(doctor_client, doctor, patient, headache):
    response = doctor_client.post(url(patient, headache), all_answered(
        headache, papilloedema="yes", anaemia="not_asked", seizure="yes"))
    assert response.status_code == 302 and response["Location"].endswith(f"/patients/{patient.pk}/#complaints")
    done = RedFlagScreening.objects.get()
    assert done.complaint == headache and done.screened_by == doctor and done.date == date.today()
    assert done.answers["papilloedema"] == "yes" and done.answers["anaemia"] == "not_asked"
    assert done.answers["syncope"] == "no" and done.knowledge_version == load().version
    headache.refresh_from_db()
    assert headache.findings == ["seizure", "papilloedema"]
    created = AuditEvent.objects.get(action="create", object_type="redflagscreening")
    assert created.detail["answers"]["papilloedema"] == "yes" and created.patient == patient
    updated = AuditEvent.objects.get(action="update", object_type="complaint")
    assert updated.detail["added"] == ["papilloedema"]


def test_a_screening_with_only_no_answers_changes_no_finding(doctor_client, patient, headache):
    doctor_client.post(url(patient, headache), all_answered(headache))
    headache.refresh_from_db()
    assert headache.findings == ["seizure"]  # "no" does not remove a recorded red flag
    assert not AuditEvent.objects.filter(action="update", object_type="complaint").exists()


def test_an_unanswered_question_is_named_and_nothing_is_stored(doctor_client, patient, headache):
    data = all_answered(headache)
    del data["papilloedema"]
    response = doctor_client.post(url(patient, headache), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Answer this question: yes, no or not asked." in html
    form = response.context["form"]
    assert list(form.errors) == ["papilloedema"]
    assert not RedFlagScreening.objects.exists()


def test_a_screening_in_the_future_is_refused(doctor_client, patient, headache):
    data = all_answered(headache)
    data["date"] = (date.today() + timedelta(days=2)).isoformat()
    response = doctor_client.post(url(patient, headache), data)
    assert response.status_code == 400 and list(response.context["form"].errors) == ["date"]
    assert "The screening cannot lie in the future." in response.content.decode()


def test_after_a_screening_from_the_assess_page_it_returns_there(doctor_client, patient, headache):
    data = all_answered(headache)
    data["next"] = "assess"
    response = doctor_client.post(url(patient, headache), data)
    assert response["Location"] == reverse("assessment:assess", args=[patient.pk])


def test_another_clinics_complaint_is_404(doctor_client, foreign_patient, patient, headache):
    foreign = m.Complaint.objects.create(patient=foreign_patient, description="Back pain")
    assert doctor_client.get(url(foreign_patient, foreign)).status_code == 404
    # Nor can a complaint be reached through the wrong patient.
    assert doctor_client.get(reverse("assessment:screening", args=[patient.pk, foreign.pk])).status_code == 404


def test_the_assess_page_says_when_each_complaint_was_last_screened(doctor_client, doctor, patient, headache):
    assess_url = reverse("assessment:assess", args=[patient.pk])
    assert "never screened" in doctor_client.get(assess_url).content.decode()
    RedFlagScreening.objects.create(patient=patient, complaint=headache, date=date(2026, 11, 2), screened_by=doctor,
                                    answers={"syncope": "no"}, knowledge_version="1")
    RedFlagScreening.objects.create(patient=patient, complaint=headache, date=date(2026, 11, 20), screened_by=doctor,
                                    answers={"syncope": "no"}, knowledge_version="1")
    html = doctor_client.get(assess_url).content.decode()
    assert "last screened 2026-11-20" in html and "never screened" not in html
    assert url(patient, headache) in html


def test_the_chart_links_each_complaint_to_its_screening(doctor_client, patient, headache):
    html = doctor_client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert url(patient, headache) in html
