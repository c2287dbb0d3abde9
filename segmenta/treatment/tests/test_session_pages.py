import pytest
from django.test import Client
from django.urls import reverse

from segmenta.conftest import login_verified
from segmenta.patients import models as pm
from segmenta.treatment.case import chart_queryset, patient_case
from segmenta.treatment.models import Injection, Session
from segmenta.treatment.tests.posting import form_data


@pytest.fixture
def session(patient, doctor):
    pm.WeightMeasurement.objects.create(patient=patient, date="2026-11-01", weight_kg=60)
    return Session.objects.create(patient=patient, started_at="2026-11-25T10:00:00+01:00", practitioner=doctor)


def injection_data(**extra):
    return form_data("injection", {
        "time": "2026-11-25T10:05", "target": "wheal", "drug": "procaine", "concentration_percent": "1",
        "volume_ml": "0.5", "map_regions": '[{"choir": 218, "side": "left"}]', "action": "save", **extra})


def test_check_shows_the_verdict_without_saving(doctor_client, session):
    response = doctor_client.post(reverse("treatment:injection_add", args=[session.pk]),
                                  injection_data(action="check"))
    assert response.status_code == 200 and response.context["preview"]["mg"] == 5
    assert not Injection.objects.exists()


def test_save_records_the_verdict_and_audit(doctor_client, session):
    doctor_client.post(reverse("treatment:injection_add", args=[session.pk]), injection_data())
    item = Injection.objects.get()
    assert (float(item.mg), item.regions) == (5.0, [{"choir": 218, "side": "left"}])


def test_an_assistant_documents_but_cannot_sign(session, assistant):
    client = login_verified(Client(), assistant)
    client.post(reverse("treatment:injection_add", args=[session.pk]), injection_data())
    assert Injection.objects.count() == 1
    client.post(reverse("treatment:sign", args=[session.pk]))
    session.refresh_from_db()
    assert not session.signed


def test_an_assistant_cannot_override_a_block(session, assistant):
    client = login_verified(Client(), assistant)
    response = client.post(reverse("treatment:injection_add", args=[session.pk]),
                           injection_data(concentration_percent="3", override_reason="please"))
    assert response.status_code == 400 and "Only a physician" in response.content.decode()
    assert not Injection.objects.exists()


def test_last_event_shows_weight_based_lipid_doses(doctor_client, session):
    doctor_client.post(reverse("treatment:event_add", args=[session.pk]),
                       form_data("event", {"kind": "last", "description": "perioral numbness, metallic taste",
                                           "occurred_at": "2026-11-25T10:10", "severity": "moderate",
                                           "causality": "probable", "outcome": "recovering"}))
    assert session.adverse_events.get().kind == "last"
    html = doctor_client.get(reverse("treatment:session", args=[session.pk])).content.decode()
    assert "Bolus 90.0 mL" in html and "15.0 mL/min" in html


def test_signed_session_refuses_new_parts(doctor_client, session):
    doctor_client.post(reverse("treatment:sign", args=[session.pk]))
    doctor_client.post(reverse("treatment:event_add", args=[session.pk]),
                       form_data("event", {"kind": "vasovagal", "occurred_at": "2026-11-25T10:10", "severity": "mild",
                                           "causality": "possible", "outcome": "recovered"}))
    assert not session.adverse_events.exists()
    doctor_client.post(reverse("treatment:follow_up_add", args=[session.pk]),
                       form_data("follow-up", {"reported_at": "2026-11-26T09:00", "reaction": "initial_worsening",
                                               "relief_hours": "6"}))
    assert session.follow_ups.count() == 1  # a later report, not a change of the session


def test_another_clinics_session_is_404(session, outsider):
    client = login_verified(Client(), outsider)
    assert client.get(reverse("treatment:session", args=[session.pk])).status_code == 404


def test_stored_test_injections_feed_the_case_and_the_assessment(session, patient):
    complaint = pm.Complaint.objects.create(patient=patient, description="Migraine", onset="2022",
                                            regions=[{"region": "temple", "side": "left"}])
    tooth = pm.HistoryItem.objects.create(patient=patient, kind="tooth", tooth="28", description="Root filled",
                                          date="2021")
    Injection.objects.create(session=session, order=1, time=session.started_at, target="tooth", concentration_percent=1,
                             volume_ml=1, verdict="ok", mg=10, cumulative_mg=10, history_item=tooth,
                             complaint=complaint, onset_seconds=5, relief_percent=100, duration_hours=12)
    case = patient_case(chart_queryset().get(pk=patient.pk))
    assert case["tests"] == [{"history_id": f"h{tooth.pk}", "complaint_id": f"c{complaint.pk}", "date": "2026-11-25",
                              "relief_percent": 100, "onset_seconds": 5, "duration_hours": 12.0}]
    from segmenta.assessment.engine import assess
    from segmenta.knowledge.base import load

    result = assess(case, load())
    assert result["complaints"][0]["candidates"][0]["status"] == "confirmed"


def test_plan_status_shows_on_the_chart(doctor_client, patient, session):
    complaint = pm.Complaint.objects.create(patient=patient, description="Shoulder pain")
    doctor_client.post(reverse("treatment:plan_new", args=[patient.pk]), {
        "complaint": complaint.pk, "goals": "NRS below 3", "approach": "segmental first", "sessions_min": 6,
        "sessions_max": 12, "reassess_after": 3, "review_rule": "re-screen", "status": "active"})
    html = doctor_client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "reassessment after session 3" in html and "session 0 of 6–12" in html


def test_plan_reassessment_must_lie_between_3_and_5(doctor_client, patient):
    complaint = pm.Complaint.objects.create(patient=patient, description="Shoulder pain")
    response = doctor_client.post(reverse("treatment:plan_new", args=[patient.pk]), {
        "complaint": complaint.pk, "goals": "x", "approach": "x", "sessions_min": 6, "sessions_max": 12,
        "reassess_after": 7, "review_rule": "x", "status": "active"})
    assert response.status_code == 400 and "reassess_after" in response.context["form"].errors


def test_a_new_plan_offers_only_standing_complaints_and_preselects_the_only_one(doctor_client, doctor, patient):
    from segmenta.patients.corrections import mark_in_error

    standing = pm.Complaint.objects.create(patient=patient, description="Shoulder pain")
    wrong = pm.Complaint.objects.create(patient=patient, description="Wrong chart")
    mark_in_error(wrong, doctor, "wrong patient")
    form = doctor_client.get(reverse("treatment:plan_new", args=[patient.pk])).context["form"]
    assert list(form.fields["complaint"].queryset) == [standing] and form["complaint"].value() == standing.pk


def test_deep_targets_without_recorded_aspiration_warn(doctor_client, session):
    doctor_client.post(reverse("treatment:injection_add", args=[session.pk]),
                       injection_data(target="paravertebral", volume_ml="5"))
    item = Injection.objects.get()
    assert item.verdict == "warn" and "aspiration_not_recorded" in [r["code"] for r in item.reasons]


def test_draft_notes_are_edited_and_signed_ones_are_not(doctor_client, session):
    doctor_client.post(reverse("treatment:notes_edit", args=[session.pk]),
                       form_data("notes", {"notes": "calm patient"}))
    session.refresh_from_db()
    assert session.notes == "calm patient"
    doctor_client.post(reverse("treatment:sign", args=[session.pk]))
    doctor_client.post(reverse("treatment:notes_edit", args=[session.pk]), form_data("notes", {"notes": "rewritten"}))
    session.refresh_from_db()
    assert session.notes == "calm patient"


@pytest.mark.parametrize("when", ["9999-12-31T23:59", "0001-01-01T00:00", "2026-11-27T10:00"])
def test_an_injection_far_from_its_session_is_refused_naming_the_time(doctor_client, session, when):
    data = injection_data(time=when)
    for url in (reverse("treatment:injection_check", args=[session.pk]),
                reverse("treatment:injection_add", args=[session.pk])):
        response = doctor_client.post(url, data)
        assert response.status_code in (200, 400)
        assert "time" in response.context["form" if "check" in url else "injection_form"].errors
    assert not session.injections.exists()


def test_a_typed_drug_that_contradicts_the_product_is_named(doctor_client, session, clinic):
    from segmenta.treatment.models import Product

    product = Product.objects.create(clinic=clinic, name="Lidocaine 1 %", drug="lidocaine", concentration_percent=1)
    response = doctor_client.post(reverse("treatment:injection_add", args=[session.pk]),
                                  injection_data(product=product.pk, drug="procaine"))
    assert response.status_code == 400 and "drug" in response.context["injection_form"].errors


def test_the_injection_list_shows_who_injected_with_which_product_and_lot(doctor_client, session, clinic, doctor):
    from segmenta.treatment.models import Product

    product = Product.objects.create(clinic=clinic, name="Procaine 1 % 2 mL ampoule", drug="procaine",
                                     concentration_percent=1)
    doctor_client.post(reverse("treatment:injection_add", args=[session.pk]),
                       injection_data(product=product.pk, drug="", concentration_percent="", lot="P-9",
                                      expiry="2028-01-31"))
    html = doctor_client.get(reverse("treatment:session", args=[session.pk])).content.decode()
    assert "by doctor" in html and "Procaine 1 % 2 mL ampoule" in html and "lot P-9" in html
    assert "exp. 2028-01-31" in html
