"""Self-harm alert: PHQ-9 item 9 above 0 raises an alert whatever the total; stored
responses keep it; the chart shows it until a clinician acknowledges it.

Source of the rule: PHQ-9 instruction manual (Pfizer): any answer above 0 to item 9
("thoughts that you would be better off dead, or of hurting yourself") needs a
clinician's risk assessment the same day, whatever the total (knowledge base
``instrument-threshold/phq-9``, ``alerts``).
"""

import json
import subprocess
import sys

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from segmenta.audit.models import AuditEvent
from segmenta.conftest import login_verified, make_patient
from segmenta.knowledge.base import load
from segmenta.outcomes.models import Alert, AnswerLink, Response
from segmenta.outcomes.responses import save_answers
from segmenta.outcomes.scoring import ScoreError, alerts, score

ITEM_9_ONLY = {f"phq9-{i}": "not_at_all" for i in range(1, 9)} | {"phq9-9": "nearly_every_day"}
NO_ITEM_9 = {f"phq9-{i}": "several_days" for i in range(1, 9)} | {"phq9-9": "not_at_all"}


# --- Scoring (pure) -------------------------------------------------------------------

def test_item_9_answered_3_alerts_although_the_total_is_minimal():
    """PHQ-9 manual: item 9 above 0 needs a same-day risk assessment, whatever the total."""
    result = score("phq-9", {"answers": [0, 0, 0, 0, 0, 0, 0, 0, 3]})
    assert (result["total"], result["band"]) == (3, "minimal")
    assert [a["code"] for a in result["alerts"]] == ["self_harm_risk"]
    assert "today" in result["alerts"][0]["message"] and "whatever the total" in result["alerts"][0]["message"]


@pytest.mark.parametrize("item_9", [1, 2, 3, "several_days", "more_than_half", "nearly_every_day"])
def test_every_answer_above_0_to_item_9_alerts(item_9):
    """PHQ-9 manual: any answer above "not at all" to item 9 counts."""
    assert score("phq-9", {"answers": [0] * 8 + [item_9]})["alerts"][0]["code"] == "self_harm_risk"


def test_item_9_answered_0_gives_no_alert_even_with_a_severe_total():
    """PHQ-9 manual: the alert follows item 9, not the total (a severe total is its own matter)."""
    result = score("phq-9", {"answers": [3, 3, 3, 3, 3, 3, 3, 3, 0]})
    assert result["band"] == "severe" and result["alerts"] == []


def test_every_score_carries_an_alert_list():
    assert score("gad-7", {"answers": [3] * 7})["alerts"] == []
    assert score("nrs-11", {"answers": [9, 9, 9]})["alerts"] == []


def test_a_fhir_response_with_item_9_above_0_alerts():
    response = {"resourceType": "QuestionnaireResponse", "status": "completed", "item": [
        {"linkId": f"phq9-{i}", "answer": [{"valueCoding": {"code": "not_at_all" if i < 9 else "several_days"}}]}
        for i in range(1, 10)]}
    assert score("phq-9", response)["alerts"][0]["code"] == "self_harm_risk"


def test_the_rule_lives_in_the_knowledge_base_with_its_source():
    rule = load().get("instrument-threshold", "phq-9")["alerts"][0]
    assert (rule["code"], rule["item"], rule["above"]) == ("self_harm_risk", "phq9-9", 0)
    assert rule["sources"] == ["phq-manual"] and load().source("phq-manual")["type"] == "guideline"


def test_a_rule_whose_item_is_unanswered_is_an_error_naming_the_item_not_silence():
    rule = {"code": "self_harm_risk", "item": "phq9-9", "above": 0, "message": "m"}
    with pytest.raises(ScoreError, match="item phq9-9: missing"):
        alerts([rule], {"phq9-1": 0})


def test_cli_prints_the_alerts():
    done = subprocess.run([sys.executable, "-m", "segmenta", "score", "phq-9", "-"], capture_output=True, text=True,
                          input=json.dumps({"answers": [0] * 8 + [1]}), timeout=60)
    assert done.returncode == 0
    result = json.loads(done.stdout)
    assert result["band"] == "minimal"
    assert [set(a) for a in result["alerts"]] == [{"code", "message"}]
    assert result["alerts"][0]["code"] == "self_harm_risk"


# --- Stored responses -----------------------------------------------------------------

def test_an_answer_link_with_item_9_above_0_stores_an_audited_alert(patient, doctor):
    _link, raw = AnswerLink.issue(patient, "phq-9", doctor)
    assert Client().post(f"/q/{raw}/", ITEM_9_ONLY).status_code == 200
    alert = Alert.objects.get()
    response = Response.objects.get()
    assert (alert.patient, alert.response, alert.code) == (patient, response, "self_harm_risk")
    assert alert.acknowledged_at is None and alert.acknowledged_by is None and response.band == "minimal"
    event = AuditEvent.objects.get(object_type="alert", action="create")
    assert (event.patient_id, event.username, event.object_id) == (patient.pk, "patient (answer link)", str(alert.pk))


def test_staff_entry_with_item_9_above_0_stores_an_alert(doctor_client, patient, doctor):
    url = reverse("outcomes:enter", args=[patient.pk, "phq-9"])
    assert doctor_client.post(url, ITEM_9_ONLY).status_code == 302
    assert Alert.objects.get().code == "self_harm_risk"
    assert AuditEvent.objects.get(object_type="alert").user == doctor


def test_no_alert_is_stored_when_item_9_is_0(patient, doctor):
    save_answers(patient, "phq-9", NO_ITEM_9, entered_by=doctor)
    assert not Alert.objects.exists()


# --- The chart's banner and acknowledging -----------------------------------------------

def chart(client, patient):
    return client.get(reverse("patients:detail", args=[patient.pk])).content.decode()


def acknowledge(client, patient, alert, note=""):
    return client.post(reverse("outcomes:alert_acknowledge", args=[patient.pk, alert.pk]), {"note": note})


def test_the_chart_shows_an_urgent_banner_for_an_open_alert(doctor_client, patient, doctor):
    assert 'class="alert-banner"' not in chart(doctor_client, patient)
    save_answers(patient, "phq-9", ITEM_9_ONLY, entered_by=doctor)
    html = chart(doctor_client, patient)
    assert 'class="alert-banner" role="alert"' in html and "self-harm" in html
    assert html.index("alert-banner") < html.index("<h1>")


def test_a_practitioner_acknowledges_with_a_note_and_the_banner_goes(doctor_client, patient, doctor):
    alert = save_answers(patient, "phq-9", ITEM_9_ONLY, entered_by=doctor).alerts.get()
    assert acknowledge(doctor_client, patient, alert, "Assessed by phone; no plan, safety plan agreed").status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == doctor and alert.acknowledged_at is not None
    assert alert.note == "Assessed by phone; no plan, safety plan agreed"
    event = AuditEvent.objects.get(object_type="alert", action="update")
    assert event.detail["acknowledged"] is True and event.user == doctor
    assert 'class="alert-banner"' not in chart(doctor_client, patient)


def test_a_clinic_admin_who_is_a_verified_clinician_may_acknowledge(admin_client, patient, admin_user):
    alert = save_answers(patient, "phq-9", ITEM_9_ONLY, entered_by=admin_user).alerts.get()
    acknowledge(admin_client, patient, alert, "Called the patient; GP informed")
    alert.refresh_from_db()
    assert alert.acknowledged_by == admin_user and alert.note == "Called the patient; GP informed"


def test_an_admin_without_a_verified_clinical_profession_cannot_acknowledge(admin_client, patient, admin_user):
    admin_user.profile.verified_at = None
    admin_user.profile.save()
    alert = save_answers(patient, "phq-9", ITEM_9_ONLY, entered_by=admin_user).alerts.get()
    assert acknowledge(admin_client, patient, alert, "done").status_code == 403
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_an_alert_is_never_cleared_without_saying_what_was_done(doctor_client, patient, doctor):
    alert = save_answers(patient, "phq-9", ITEM_9_ONLY, entered_by=doctor).alerts.get()
    acknowledge(doctor_client, patient, alert, "")
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_an_assistant_sees_the_banner_but_cannot_acknowledge(assistant, patient, doctor):
    alert = save_answers(patient, "phq-9", ITEM_9_ONLY, entered_by=doctor).alerts.get()
    client = login_verified(Client(), assistant)
    html = chart(client, patient)
    assert 'class="alert-banner" role="alert"' in html and "Risk assessed" not in html
    assert acknowledge(client, patient, alert, "done").status_code == 403
    alert.refresh_from_db()
    assert alert.acknowledged_at is None and not AuditEvent.objects.filter(object_type="alert", action="update")


def test_another_clinic_cannot_see_or_acknowledge_the_alert(outsider, patient, doctor):
    alert = save_answers(patient, "phq-9", ITEM_9_ONLY, entered_by=doctor).alerts.get()
    assert acknowledge(login_verified(Client(), outsider), patient, alert).status_code == 404
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_an_alert_of_another_patient_cannot_be_acknowledged_through_this_one(doctor_client, clinic, patient, doctor):
    other = make_patient(clinic, family="Anders")
    alert = save_answers(other, "phq-9", ITEM_9_ONLY, entered_by=doctor).alerts.get()
    assert acknowledge(doctor_client, patient, alert, "assessed").status_code == 404


def test_a_note_that_is_too_long_is_refused_naming_the_field(doctor_client, patient, doctor):
    alert = save_answers(patient, "phq-9", ITEM_9_ONLY, entered_by=doctor).alerts.get()
    response = acknowledge(doctor_client, patient, alert, "x" * 2001)
    alert.refresh_from_db()
    assert alert.acknowledged_at is None
    assert "Note: Ensure this value has at most 2000 characters" in doctor_client.get(response.url).content.decode()


def test_acknowledging_needs_a_post(doctor_client, patient, doctor):
    alert = save_answers(patient, "phq-9", ITEM_9_ONLY, entered_by=doctor).alerts.get()
    assert doctor_client.get(reverse("outcomes:alert_acknowledge", args=[patient.pk, alert.pk])).status_code == 405


# --- The patient list -----------------------------------------------------------------

def test_the_patient_list_marks_patients_with_an_open_alert(doctor_client, clinic, patient, doctor):
    calm = make_patient(clinic, family="Ruhig")
    save_answers(patient, "phq-9", ITEM_9_ONLY, entered_by=doctor)
    save_answers(calm, "phq-9", NO_ITEM_9, entered_by=doctor)
    html = doctor_client.get(reverse("patients:list")).content.decode()
    rows = {name: row for row in html.split("<tr") for name in ("Muster", "Ruhig") if name in row}
    assert "Urgent alert" in rows["Muster"] and "Urgent alert" not in rows["Ruhig"]


def queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_the_list_and_the_chart_cost_the_same_queries_for_one_alert_or_many(doctor_client, clinic, patient, doctor):
    save_answers(patient, "phq-9", ITEM_9_ONLY, entered_by=doctor)
    list_url, chart_url = reverse("patients:list"), reverse("patients:detail", args=[patient.pk])
    few_list, few_chart = queries(doctor_client, list_url), queries(doctor_client, chart_url)
    for i in range(15):
        save_answers(make_patient(clinic, family=f"P{i:02d}"), "phq-9", ITEM_9_ONLY, entered_by=doctor)
        save_answers(patient, "phq-9", ITEM_9_ONLY, entered_by=doctor)
    assert queries(doctor_client, list_url) == few_list
    assert queries(doctor_client, chart_url) == few_chart
