"""Every record a page or a drop-down shows is named as a clinician reads it: "Tooth 38:
Wisdom tooth extraction (1998)", never "HistoryItem object (28)"."""

import re

import pytest
from django.apps import apps
from django.db import models
from django.urls import reverse
from django.utils import timezone

from segmenta.conftest import browser_login, complete_chart
from segmenta.outcomes.models import Alert, AnswerLink, ClinicInstrument, Response
from segmenta.outcomes.responses import save_answers
from segmenta.patients import models as pm
from segmenta.treatment import models as tm

DEFAULT_LABEL = re.compile(r"\bobject \(\d+\)")


def test_every_model_of_segmenta_has_a_label_of_its_own():
    unnamed = [f"{m._meta.app_label}.{m.__name__}" for m in apps.get_models()
               if m.__module__.startswith("segmenta.") and m.__str__ is models.Model.__str__]
    assert unnamed == []


@pytest.fixture
def chart(patient, doctor):
    """A chart with one of everything the pages list or offer in a drop-down."""
    complete_chart(patient, doctor)
    weight = pm.WeightMeasurement.objects.create(patient=patient, date="2026-11-01", weight_kg=72, height_cm=170)
    allergy = pm.Allergy.objects.create(patient=patient, substance="Penicillin", allergy_class="other",
                                        active=False)
    medication = pm.Medication.objects.create(patient=patient, name="Ibuprofen", medication_class="nsaid",
                                              dose="400 mg as needed")
    condition = pm.Condition.objects.create(patient=patient, code="myasthenia_gravis")
    complaint = pm.Complaint.objects.create(patient=patient, description="Migraine, left-sided", onset="2021",
                                            regions=[{"region": "temple", "side": "left"}])
    tooth = pm.HistoryItem.objects.create(patient=patient, kind="tooth", tooth="38", date="1998",
                                          description="Wisdom tooth extraction")
    plan = tm.TreatmentPlan.objects.create(patient=patient, complaint=complaint, goals="Fewer attacks")
    session = tm.Session.objects.create(patient=patient, plan=plan, practitioner=doctor,
                                        started_at=timezone.now().replace(second=0, microsecond=0))
    tm.ComplaintScore.objects.create(session=session, complaint=complaint, pre_nrs=7, post_nrs=4)
    injection = tm.Injection.objects.create(
        session=session, order=1, time=session.started_at, target="tooth", side="left", history_item=tooth,
        complaint=complaint, drug="procaine", concentration_percent=1, volume_ml=1, mg=10, cumulative_mg=10,
        verdict="ok")
    event = tm.AdverseEvent.objects.create(session=session, injection=injection, kind="vasovagal",
                                           occurred_at=session.started_at)
    follow_up = tm.FollowUp.objects.create(session=session, injection=injection, reported_at=session.started_at,
                                           reaction="initial_worsening", recorded_by=doctor)
    review = tm.PlanReview.objects.create(plan=plan, decision="continue", decided_by=doctor)
    response = save_answers(patient, "phq-9", {f"phq9-{i}": "several_days" if i < 9 else "not_at_all"
                                               for i in range(1, 10)}, entered_by=doctor)
    link, _raw = AnswerLink.issue(patient, "nrs-11", doctor)
    return {"weight": weight, "allergy": allergy, "medication": medication, "condition": condition,
            "complaint": complaint, "tooth": tooth, "plan": plan, "session": session, "injection": injection,
            "event": event, "follow_up": follow_up, "review": review, "response": response, "link": link}


def test_chart_records_read_as_clinicians_name_them(chart):
    c = chart
    assert str(c["tooth"]) == "Tooth 38: Wisdom tooth extraction (1998)"
    assert str(c["complaint"]) == "Migraine, left-sided"
    assert str(c["weight"]) == "72 kg, 170 cm on 2026-11-01"
    assert str(c["allergy"]) == "Penicillin (Other), inactive"
    assert str(c["medication"]) == "Ibuprofen 400 mg as needed"
    assert str(c["condition"]) == "Myasthenia gravis"
    assert str(c["plan"]) == f"Migraine, left-sided: plan of {timezone.localdate():%Y-%m-%d}, active"
    local = timezone.localtime(c["session"].started_at)
    assert str(c["session"]) == f"Session of {local:%Y-%m-%d %H:%M} (draft)"
    assert str(c["injection"]) == f"#1 Tooth, left · 1 mL procaine 1 % · {local:%H:%M}"
    assert str(c["event"]) == f"Vasovagal reaction (mild) · {local:%H:%M}"
    assert str(c["response"]).startswith("PHQ-9 of ") and str(c["response"]).endswith(": 8 (mild)")
    assert str(c["link"]).startswith("Link to Pain intensity (NRS-11), valid until ")


def test_an_entry_marked_in_error_says_so_wherever_it_is_named(chart, doctor):
    complaint = chart["complaint"]
    complaint.entered_in_error_at, complaint.entered_in_error_by = timezone.now(), doctor
    assert str(complaint) == "Migraine, left-sided (entered in error)"


def test_no_page_or_drop_down_names_a_record_by_its_number(doctor_client, admin_client, chart, patient):
    session, plan = chart["session"], chart["plan"]
    pages = [
        reverse("patients:detail", args=[patient.pk]),
        reverse("treatment:session_new", args=[patient.pk]),
        reverse("treatment:session", args=[session.pk]),
        reverse("treatment:plan_new", args=[patient.pk]),
        reverse("outcomes:reassessment", args=[plan.pk]),
        reverse("outcomes:questionnaires", args=[patient.pk]),
        reverse("treatment:products"),
        reverse("treatment:lots"),
        reverse("assessment:assess", args=[patient.pk]),
        *[reverse("patients:item_new", args=[patient.pk, kind])
          for kind in ("complaints", "history", "weights", "allergies", "medications", "conditions", "pregnancy",
                       "consents", "reviews")],
        reverse("patients:item_edit", args=[patient.pk, "history", chart["tooth"].pk]),
        reverse("patients:item_edit", args=[patient.pk, "complaints", chart["complaint"].pk]),
    ]
    unnamed = {}
    for url in pages:
        response = doctor_client.get(url)
        assert response.status_code == 200, url
        found = DEFAULT_LABEL.findall(response.content.decode())
        if found:
            unnamed[url] = found
    assert unnamed == {}
    html = doctor_client.get(reverse("treatment:session", args=[session.pk])).content.decode()
    # The injection form offers the tested item and the complaint by name.
    assert "Tooth 38: Wisdom tooth extraction (1998)</option>" in html and "Migraine, left-sided</option>" in html
    for url in (reverse("accounts:members"), reverse("accounts:clinic_settings"), reverse("audit:search")):
        page = admin_client.get(url)
        assert page.status_code in (200, 302), url
        assert not DEFAULT_LABEL.search(page.content.decode()), url


def test_alerts_instruments_and_checks_are_named_too(chart, clinic, doctor):
    save_answers(chart["response"].patient, "phq-9", {f"phq9-{i}": "several_days" for i in range(1, 10)},
                 entered_by=doctor)
    assert str(Alert.objects.get()).endswith("(open)")
    assert "equipment" in str(tm.EquipmentCheck(clinic=clinic, date=timezone.localdate(), checked_by=doctor))
    assert str(ClinicInstrument(clinic=clinic, instrument_id="mymop", resource={"title": "MYMOP"})) == \
        "MYMOP (mymop)"
    assert str(chart["review"]).startswith("Continue the plan on ")
    assert Response.objects.count() == 2


@pytest.mark.browser
def test_a_new_session_is_filed_under_the_plan_picked_by_its_complaint(page, settings, chart, patient):
    settings.SEGMENTA_REQUIRE_MFA = False
    other = pm.Complaint.objects.create(patient=patient, description="Low back pain")
    back_plan = tm.TreatmentPlan.objects.create(patient=patient, complaint=other, goals="Walk 5 km")
    browser_login(page, "doctor")
    page.goto(f"/patients/{patient.pk}/")
    page.get_by_role("link", name="New session").click()
    plan_select = page.get_by_label("Plan")
    options = plan_select.locator("option").all_inner_texts()
    assert not any(DEFAULT_LABEL.search(o) for o in options)
    plan_select.select_option(label=str(back_plan))
    page.get_by_role("button", name=re.compile("Start|Create|Save")).click()
    page.wait_for_url("**/sessions/*/")
    assert tm.Session.objects.filter(patient=patient).order_by("-id").first().plan == back_plan
