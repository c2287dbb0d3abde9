from django.test import Client
from django.urls import reverse

from segmenta.audit.models import AuditEvent
from segmenta.conftest import login_verified
from segmenta.patients import models as pm
from segmenta.treatment.models import ComplaintScore, Injection, PlanReview, Session, TreatmentPlan


def plan_with_course(patient, values=(8, 6, 5)):
    complaint = pm.Complaint.objects.create(patient=patient, description="Right shoulder pain", onset="2019",
                                            regions=[{"region": "shoulder", "side": "right"}])
    scar = pm.HistoryItem.objects.create(patient=patient, kind="scar", description="Cholecystectomy", date="2018",
                                         regions=[{"region": "abdomen_upper", "side": "right"}])
    plan = TreatmentPlan.objects.create(patient=patient, complaint=complaint, goals="NRS below 3")
    for day, value in enumerate(values, start=1):
        session = Session.objects.create(patient=patient, plan=plan, started_at=f"2026-0{day}-01T10:00:00+00:00")
        ComplaintScore.objects.create(session=session, complaint=complaint, pre_nrs=value)
        Injection.objects.create(session=session, order=1, time=session.started_at, target="scar",
                                 concentration_percent=1, volume_ml=4, verdict="ok", mg=40, cumulative_mg=40,
                                 history_item=scar, complaint=complaint, onset_seconds=5, relief_percent=100,
                                 duration_hours=24)
    return plan


def test_report_compares_baseline_and_now_with_tests_doses_and_red_flags(doctor_client, patient):
    plan = plan_with_course(patient)
    html = doctor_client.get(reverse("outcomes:reassessment", args=[plan.pk])).content.decode()
    assert "NRS 8 → 5 (−3, −38&nbsp;%)" in html and "≥ 30 % better" in html
    assert "Cholecystectomy" in html and "confirmed" in html
    assert "120 mg" in html
    assert "Red flags, re-screened" in html
    assert 'class="nrs-course"' in html  # the same server-rendered chart as on the chart page


def test_the_decision_is_recorded_and_audited(doctor_client, patient):
    plan = plan_with_course(patient)
    doctor_client.post(reverse("outcomes:reassessment", args=[plan.pk]),
                       {"decision": "stop", "note": "goal reached", "red_flags_rescreened": "on"})
    review = PlanReview.objects.get()
    plan.refresh_from_db()
    assert review.red_flags_rescreened and plan.status == "completed"
    assert AuditEvent.objects.filter(action="create", object_type="planreview").exists()


def test_assistants_cannot_decide(patient, assistant):
    plan = plan_with_course(patient)
    login_verified(Client(), assistant).post(reverse("outcomes:reassessment", args=[plan.pk]), {"decision": "stop"})
    assert not PlanReview.objects.exists()


def test_the_chart_links_the_due_reassessment(doctor_client, patient):
    plan = plan_with_course(patient)
    html = doctor_client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert reverse("outcomes:reassessment", args=[plan.pk]) in html and "reassessment due" in html


def test_another_clinics_plan_is_404(patient, outsider):
    plan = plan_with_course(patient)
    assert login_verified(Client(), outsider).get(reverse("outcomes:reassessment", args=[plan.pk])).status_code == 404
