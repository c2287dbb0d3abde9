"""A restricted chart (an erasure request within the retention period) is read only
everywhere: the models themselves refuse every change to anything that belongs to the
patient, every page that writes answers 423 with a page saying why and changes nothing, the
pages still show the chart with a banner and offer no forms, and the very same requests on
an unrestricted chart do save (so the refusal is the restriction's, not bad test data)."""

import datetime
import json

import pytest
from django.db import models, transaction
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone

from segmenta.conftest import make_patient
from segmenta.patients import models as pm
from segmenta.patients.restriction import ProcessingRestricted, lifted_for, owned_models, owners, restrict
from segmenta.treatment.models import Injection
from segmenta.treatment.tests.posting import form_data

from .charts import build_chart, snapshot


@pytest.fixture
def restricted(clinic, doctor, admin_user):
    chart = build_chart(make_patient(clinic, family="Gesperrt", given="Greta"), doctor)
    restrict(chart.patient, admin_user, "letter of 2026-11-02")
    return chart


@pytest.fixture
def open_chart(clinic, doctor):
    return build_chart(make_patient(clinic, family="Offen", given="Otto"), doctor)


# --- The models refuse -----------------------------------------------------------------

def test_the_guard_covers_every_model_that_belongs_to_a_patient():
    labels = {m._meta.label for m in owned_models()}
    assert labels == {
        "patients.WeightMeasurement", "patients.Allergy", "patients.Medication", "patients.ChartReview",
        "patients.Condition", "patients.PregnancyStatus", "patients.Consent", "patients.Complaint",
        "patients.HistoryItem", "assessment.RedFlagScreening", "treatment.TreatmentPlan", "treatment.Session",
        "treatment.ComplaintScore", "treatment.Injection", "treatment.AdverseEvent", "treatment.FollowUp",
        "treatment.Amendment", "treatment.PlanReview", "outcomes.AnswerLink", "outcomes.Response", "outcomes.Alert",
        "documents.IssuedDocument", "interop.FieldProposal", "interop.ImportedResource", "interop.PatientIdentifier",
        "interop.PendingPatient", "scheduling.Appointment", "billing.Invoice", "billing.InvoiceLine", "billing.Payment",
        "billing.PaymentReminder", "scheduling.ContactPreference", "scheduling.Message",
        "scheduling.RecallHandled"}
    # The audit trail and the version history refer to patients, but are never guarded.
    assert not any(m._meta.label == "audit.AuditEvent" or m._meta.label.split(".")[1].startswith("Historical")
                   for m in owned_models())


def rows_of(chart):
    paths, _links = owners()
    return [row for model in owned_models() for row in model._base_manager.filter(**{paths[model]: chart.patient.pk})]


def test_the_test_chart_holds_one_of_every_kind(restricted):
    assert {type(row) for row in rows_of(restricted)} == set(owned_models())


def test_no_row_of_a_restricted_chart_can_be_changed(restricted):
    for row in rows_of(restricted):
        with pytest.raises(ProcessingRestricted):
            models.Model.save(row)  # past any model's own checks (signed sessions, amendments): the guard's


def test_no_row_can_be_added_to_a_restricted_chart(restricted):
    for row in rows_of(restricted):
        row.pk = row.id = None
        row._state.adding = True
        with pytest.raises(ProcessingRestricted):
            models.Model.save(row)


def test_no_row_of_a_restricted_chart_can_be_deleted(restricted):
    before = snapshot(restricted.patient)
    for row in [*rows_of(restricted), restricted.patient]:
        # Rows others still refer to are protected anyway; every other one is refused by the guard.
        with pytest.raises((ProcessingRestricted, ProtectedError)), transaction.atomic():
            type(row)._base_manager.filter(pk=row.pk).delete()
    assert snapshot(restricted.patient) == before


def test_even_a_script_cannot_delete_a_mistaken_injection_of_a_restricted_draft(restricted):
    with pytest.raises(ProcessingRestricted), transaction.atomic():
        restricted.second_injection.delete()
    assert Injection.objects.filter(pk=restricted.second_injection.pk).exists()


def test_a_row_cannot_be_moved_out_of_a_restricted_chart(restricted, open_chart):
    complaint = restricted.complaint
    complaint.patient = open_chart.patient
    with pytest.raises(ProcessingRestricted):
        complaint.save()


def test_the_patient_cannot_be_edited_once_restricted(restricted):
    patient = pm.Patient.objects.get(pk=restricted.patient.pk)
    patient.phone = "+49 30 123"
    with pytest.raises(ProcessingRestricted):
        patient.save()


def test_restricting_is_itself_allowed_and_names_who_and_why(restricted, admin_user):
    patient = pm.Patient.objects.get(pk=restricted.patient.pk)
    assert patient.restricted and patient.restricted_by == admin_user
    assert patient.restriction_reason == "letter of 2026-11-02"


def test_another_patients_chart_is_untouched_by_the_restriction(restricted, open_chart):
    for row in rows_of(open_chart):
        models.Model.save(row)


def test_the_purge_alone_lifts_the_guard_for_that_patient(restricted, open_chart):
    with lifted_for(open_chart.patient.pk):
        with pytest.raises(ProcessingRestricted):
            restricted.complaint.save()
    with lifted_for(restricted.patient.pk):
        restricted.complaint.save()


# --- Pages ---------------------------------------------------------------------------------

def local(when):
    return timezone.localtime(when).strftime("%Y-%m-%dT%H:%M")


def item(kind, data):
    return lambda client, chart: client.post(reverse("patients:item_new", args=[chart.patient.pk, kind]), data)


def session_post(name, data):
    return lambda client, chart: client.post(reverse(name, args=[chart.session.pk]), data)


def screening(client, chart):
    url = reverse("assessment:screening", args=[chart.patient.pk, chart.complaint.pk])
    codes = client.get(url).context["form"].codes()
    return client.post(url, {"date": timezone.localdate().isoformat(), **{code: "not_asked" for code in codes}})


def enter_answers(client, chart):
    url = reverse("outcomes:enter", args=[chart.patient.pk, "nrs-11"])
    form = client.get(url).context["form"]
    data = {}
    for name, field in form.fields.items():
        choices = [value for value, _label in getattr(field, "choices", []) if value != ""]
        data[name] = choices[0] if choices else getattr(field, "min_value", None) or 0
    return client.post(url, data)


WRITES = {
    "edit the patient": lambda client, chart: client.post(reverse("patients:edit", args=[chart.patient.pk]), {
        "family_name": chart.patient.family_name, "given_name": "Neu", "birth_date": "1970-01-02", "sex": "female",
        "record_number": "", "phone": "", "email": ""}),
    "add a complaint": item("complaints", {"description": "Knee pain", "status": "active", "map_regions": "[]"}),
    "edit a complaint": lambda client, chart: client.post(
        reverse("patients:item_edit", args=[chart.patient.pk, "complaints", chart.complaint.pk]),
        {"description": "Shoulder pain, worse", "status": "active",
         "map_regions": json.dumps([{"region": "shoulder", "side": "right"}])}),
    "mark a complaint entered in error": lambda client, chart: client.post(
        reverse("patients:item_in_error", args=[chart.patient.pk, "complaints", chart.complaint.pk]),
        {"reason": "recorded for the wrong patient"}),
    "add a history item": item("history", {"kind": "scar", "description": "Knee scar", "date": "1994",
                                           "map_regions": "[]"}),
    "add a weight": item("weights", {"date": "2026-01-01", "weight_kg": "71.0"}),
    "add an allergy": item("allergies", {"substance": "Penicillin", "allergy_class": "other", "active": "on"}),
    "add a medication": item("medications", {"name": "Metamizol", "medication_class": "other", "active": "on"}),
    "add a condition": item("conditions", {"text": "migraine", "active": "on"}),
    "record a pregnancy status": item("pregnancy", {"date": "2026-01-01", "status": "not_pregnant"}),
    "record a consent": item("consents", {"date": "2026-01-01", "decision": "refused", "scope": "Neural therapy"}),
    "record a review": item("reviews", {"kind": "allergies", "date": "2026-01-01"}),
    "mark a list reviewed today": lambda client, chart: client.post(
        reverse("patients:review_today", args=[chart.patient.pk]), {"kind": "medications"}),
    "add a plan": lambda client, chart: client.post(reverse("treatment:plan_new", args=[chart.patient.pk]), {
        "complaint": chart.complaint.pk, "goals": "walk again", "approach": "segmental", "sessions_min": "6",
        "sessions_max": "12", "reassess_after": "3", "review_rule": "re-screen", "status": "active"}),
    "start a session": lambda client, chart: client.post(reverse("treatment:session_new", args=[chart.patient.pk]),
                                                         {"started_at": local(timezone.now()), "notes": ""}),
    "add an injection": lambda client, chart: client.post(
        reverse("treatment:injection_add", args=[chart.session.pk]), form_data("injection", {
            "time": local(chart.session.started_at + datetime.timedelta(minutes=10)), "target": "wheal",
            "drug": "procaine", "concentration_percent": "1", "volume_ml": "0.5", "aspiration_done": "on",
            "map_regions": json.dumps([{"choir": 218, "side": "left"}]), "action": "save"})),
    "add a response to an injection": lambda client, chart: client.post(
        reverse("treatment:response_edit", args=[chart.session.pk, chart.injection.pk]),
        form_data(f"response-{chart.injection.pk}", {"onset_seconds": "20", "relief_percent": "80",
                                                     "duration_hours": "4"})),
    "remove a mistaken injection": lambda client, chart: client.post(
        reverse("treatment:injection_remove", args=[chart.session.pk, chart.second_injection.pk]),
        form_data(f"remove-{chart.second_injection.pk}", {"reason": "entered twice"})),
    "discard an empty draft": lambda client, chart: client.post(
        reverse("treatment:discard", args=[chart.empty_session.pk])),
    "edit the session's notes": session_post("treatment:notes_edit", form_data("notes", {"notes": "calm"})),
    "add a pain score": lambda client, chart: client.post(
        reverse("treatment:score_add", args=[chart.session.pk]),
        form_data("nrs", {"complaint": chart.other_complaint.pk, "pre_nrs": "5", "post_nrs": "2"})),
    "add an adverse event": session_post("treatment:event_add", form_data("event", {
        "kind": "haematoma", "occurred_at": local(timezone.now()), "severity": "mild", "causality": "possible",
        "outcome": "recovered"})),
    "add a follow-up": session_post("treatment:follow_up_add", form_data("follow-up", {
        "reported_at": local(timezone.now()), "reaction": "none", "relief_hours": "6"})),
    "sign the session": session_post("treatment:sign", {}),
    "review the plan": lambda client, chart: client.post(reverse("outcomes:reassessment", args=[chart.plan.pk]), {
        "decision": "continue", "note": "going well", "red_flags_rescreened": "on"}),
    "send a questionnaire link": lambda client, chart: client.post(
        reverse("outcomes:link_create", args=[chart.patient.pk]), {"instrument": "nrs-11", "hours": "72"}),
    "enter questionnaire answers": enter_answers,
    "acknowledge an alert": lambda client, chart: client.post(
        reverse("outcomes:alert_acknowledge", args=[chart.patient.pk, chart.alert.pk]),
        {"note": "called the patient, no acute risk"}),
    "screen for red flags": screening,
}


@pytest.mark.parametrize("write", sorted(WRITES))
def test_every_page_that_writes_refuses_a_restricted_chart_and_saves_an_open_one(write, doctor_client, restricted,
                                                                                  open_chart):
    before = snapshot(restricted.patient)
    response = WRITES[write](doctor_client, restricted)
    assert response.status_code == 423, response.status_code
    assert "restricted (GDPR Art. 18)" in response.content.decode()
    assert snapshot(restricted.patient) == before
    # The very same request on an open chart changes it.
    before = snapshot(open_chart.patient)
    response = WRITES[write](doctor_client, open_chart)
    assert response.status_code < 400, response.status_code
    assert snapshot(open_chart.patient) != before


def test_a_questionnaire_link_of_a_restricted_chart_no_longer_opens(client, restricted, open_chart):
    assert client.get(reverse("outcomes:answer", args=[restricted.link])).status_code == 410
    assert client.get(reverse("outcomes:answer", args=[open_chart.link])).status_code == 200


READS = {
    "the chart": lambda chart: reverse("patients:detail", args=[chart.patient.pk]),
    "a complaint": lambda chart: reverse("patients:item_edit", args=[chart.patient.pk, "complaints",
                                                                     chart.complaint.pk]),
    "the new-complaint page": lambda chart: reverse("patients:item_new", args=[chart.patient.pk, "complaints"]),
    "the patient's details": lambda chart: reverse("patients:edit", args=[chart.patient.pk]),
    "the session": lambda chart: reverse("treatment:session", args=[chart.session.pk]),
    "the questionnaires": lambda chart: reverse("outcomes:questionnaires", args=[chart.patient.pk]),
    "the assessment": lambda chart: reverse("assessment:assess", args=[chart.patient.pk]),
    "the reassessment": lambda chart: reverse("outcomes:reassessment", args=[chart.plan.pk]),
}


@pytest.mark.parametrize("page", sorted(READS))
def test_every_page_of_a_restricted_chart_still_shows_it_with_the_banner(page, doctor_client, restricted):
    response = doctor_client.get(READS[page](restricted))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<body class="restricted"' in html
    assert "Processing restricted: this chart is read only" in html and "letter of 2026-11-02" in html


def test_the_chart_of_an_open_patient_carries_no_banner(doctor_client, open_chart):
    html = doctor_client.get(reverse("patients:detail", args=[open_chart.patient.pk])).content.decode()
    assert "Processing restricted" not in html and 'class="restricted"' not in html


def test_the_refusal_page_leads_back_to_the_chart(doctor_client, restricted):
    response = WRITES["add a complaint"](doctor_client, restricted)
    assert reverse("patients:detail", args=[restricted.patient.pk]) in response.content.decode()
