"""The chart keeps every version of every entry (§630f BGB): a changed entry says so, with
when and who, and one click shows the earlier versions, old → new in clinical words."""

import html as markup
import re

import pytest
from django.test import Client
from django.urls import reverse

from segmenta.conftest import login_verified, make_user
from segmenta.patients import models as m
from segmenta.treatment.models import TreatmentPlan

# kind: (a stored entry, the form's fields as posted when changing it, the label, old and new as shown)
ENTRIES = {
    "allergies": (lambda p: m.Allergy.objects.create(patient=p, substance="Procaine",
                                                      allergy_class="ester_local_anaesthetic", reaction="urticaria"),
                  {"substance": "Procaine", "allergy_class": "ester_local_anaesthetic", "reaction": "anaphylaxis",
                   "active": "on"}, "Reaction", "urticaria", "anaphylaxis"),
    "medications": (lambda p: m.Medication.objects.create(patient=p, name="Apixaban",
                                                          medication_class="anticoagulant", dose="5 mg"),
                    {"name": "Apixaban", "medication_class": "anticoagulant", "dose": "2.5 mg", "active": "on"},
                    "Dose", "5 mg", "2.5 mg"),
    "conditions": (lambda p: m.Condition.objects.create(patient=p, text="Migraine"),
                   {"text": "Migraine with aura", "active": "on"}, "Description", "Migraine", "Migraine with aura"),
    "weights": (lambda p: m.WeightMeasurement.objects.create(patient=p, date="2026-11-01", weight_kg=62),
                {"date": "2026-11-01", "weight_kg": "82"}, "Weight (kg)", "62", "82"),
    "pregnancy": (lambda p: m.PregnancyStatus.objects.create(patient=p, date="2026-11-01", status="unknown"),
                  {"date": "2026-11-01", "status": "not_pregnant"}, "Status", "Unknown", "Not pregnant"),
    "consents": (lambda p: m.Consent.objects.create(patient=p, date="2026-11-01", scope="Scars", method="signature",
                                                    signature_svg="M1 1L2 2", scopes=["injection_therapy"]),
                 {"date": "2026-11-01", "decision": "given", "scopes": ["injection_therapy"],
                  "scope": "Scars and segments", "method": "signature", "signature_svg": "M1 1L2 2"},
                 "Scope", "Scars", "Scars and segments"),
    "reviews": (lambda p: m.ChartReview.objects.create(patient=p, kind="allergies", date="2026-11-01"),
                {"kind": "allergies", "date": "2026-11-01", "note": "asked again"}, "Note", "—", "asked again"),
    "complaints": (lambda p: m.Complaint.objects.create(patient=p, description="Shoulder pain"),
                   {"description": "Shoulder pain", "nrs": "6", "status": "active", "map_regions": "[]"},
                   "Pain now (NRS 0–10)", "—", "6"),
    "history": (lambda p: m.HistoryItem.objects.create(patient=p, kind="scar", description="Appendectomy"),
                {"kind": "scar", "description": "Appendectomy", "date": "1994", "map_regions": "[]"},
                "Date", "—", "1994"),
}


def chart(client, patient):
    response = client.get(reverse("patients:detail", args=[patient.pk]))
    assert response.status_code == 200
    return response.content.decode()


def text_of(fragment):
    """What a sighted reader sees of ``fragment``: tags and screen-reader-only words removed."""
    fragment = re.sub(r'<span class="sr-only">.*?</span>', " ", fragment, flags=re.DOTALL)
    return re.sub(r"\s+", " ", markup.unescape(re.sub(r"<[^>]+>", " ", fragment)))


def versions_block(html):
    """The first "changed" block of the chart, as text."""
    match = re.search(r'<details class="versions">(.*?)</details>', html, re.DOTALL)
    assert match, "no versions shown"
    return text_of(match.group(1))


@pytest.mark.parametrize("kind", sorted(ENTRIES))
def test_every_kind_of_entry_changed_on_its_page_shows_changed_and_its_earlier_version(doctor_client, patient,
                                                                                       kind):
    make, posted, label, old, new = ENTRIES[kind]
    item = make(patient)
    assert '<details class="versions">' not in chart(doctor_client, patient)

    response = doctor_client.post(reverse("patients:item_edit", args=[patient.pk, kind, item.pk]), posted)

    assert response.status_code == 302, response.content.decode()[-2000:]
    text = versions_block(chart(doctor_client, patient))
    assert "changed" in text and "by doctor" in text
    assert f"{label} {old} → {new}" in text
    assert "Version 2" in text and "Version 1" in text and "created" in text


def test_the_versions_are_recorded_with_the_user_who_changed_the_entry_on_the_page(doctor_client, patient, clinic):
    colleague = login_verified(Client(), make_user("colleague", clinic))
    allergy = m.Allergy.objects.create(patient=patient, substance="Latex", allergy_class="other")
    posted = ENTRIES["allergies"][1]
    colleague.post(reverse("patients:item_edit", args=[patient.pk, "allergies", allergy.pk]),
                   {**posted, "substance": "Latex", "allergy_class": "other"})
    doctor_client.post(reverse("patients:item_edit", args=[patient.pk, "allergies", allergy.pk]),
                       {**posted, "substance": "Latex", "allergy_class": "other", "reaction": "rash"})
    assert [v.history_user.username for v in allergy.versions.order_by("history_id")[1:]] == ["colleague", "doctor"]


def test_an_entry_saved_again_without_a_change_is_not_shown_as_changed(doctor_client, patient):
    allergy = m.Allergy.objects.create(patient=patient, substance="Latex", allergy_class="other")
    doctor_client.post(reverse("patients:item_edit", args=[patient.pk, "allergies", allergy.pk]),
                       {"substance": "Latex", "allergy_class": "other", "active": "on"})
    assert allergy.versions.count() == 2  # stored, but nothing a reader would see changed
    assert '<details class="versions">' not in chart(doctor_client, patient)


def test_the_original_content_of_a_changed_entry_stays_visible(doctor_client, patient):
    allergy = m.Allergy.objects.create(patient=patient, substance="Procaine", allergy_class="ester_local_anaesthetic",
                                       reaction="urticaria")
    doctor_client.post(reverse("patients:item_edit", args=[patient.pk, "allergies", allergy.pk]),
                       ENTRIES["allergies"][1])
    text = versions_block(chart(doctor_client, patient))
    original = text[text.index("Version 1"):]
    assert "Substance Procaine" in original and "Class Ester local anaesthetic" in original
    assert "Reaction urticaria" in original


def test_the_patients_own_details_show_their_earlier_versions(doctor_client, patient):
    response = doctor_client.post(reverse("patients:edit", args=[patient.pk]), {
        "family_name": "Musterfrau", "given_name": "Erika", "birth_date": "1970-01-02", "sex": "female",
        "record_number": "", "phone": "", "email": ""})
    assert response.status_code == 302
    html = chart(doctor_client, patient)
    block = re.search(r'<div class="patient-versions">(.*?)</div>', html, re.DOTALL).group(1)
    text = text_of(block)
    assert "Family name Muster → Musterfrau" in text and "by doctor" in text


def test_a_changed_plan_shows_its_earlier_versions_with_the_complaint_in_words(doctor_client, doctor, patient):
    complaint = m.Complaint.objects.create(patient=patient, description="Shoulder pain")
    other = m.Complaint.objects.create(patient=patient, description="Headache")
    plan = TreatmentPlan.objects.create(patient=patient, complaint=complaint, goals="less pain", created_by=doctor)
    plan.goals, plan.complaint = "sleep through the night", other
    plan._history_user = doctor
    plan.save()
    html = chart(doctor_client, patient)
    plans = html[html.index('id="plans"'):html.index("</ul>", html.index('id="plans"'))]
    text = text_of(plans)
    assert "Goals less pain → sleep through the night" in text
    assert "Complaint Shoulder pain → Headache" in text


def test_a_review_marked_today_records_a_version_naming_the_reviewer(doctor_client, patient):
    doctor_client.post(reverse("patients:review_today", args=[patient.pk]), {"kind": "allergies"})
    version = m.ChartReview.objects.get(patient=patient).versions.get()
    assert (version.history_type, version.history_user.username) == ("+", "doctor")


def test_a_first_version_without_a_recorded_user_names_whoever_recorded_the_entry(doctor_client, doctor, patient):
    allergy = m.Allergy.objects.create(patient=patient, substance="Latex", allergy_class="other", recorded_by=doctor)
    assert allergy.versions.get().history_user is None  # saved outside a request
    doctor_client.post(reverse("patients:item_edit", args=[patient.pk, "allergies", allergy.pk]),
                       {"substance": "Latex", "allergy_class": "other", "reaction": "rash", "active": "on"})
    text = versions_block(chart(doctor_client, patient))
    original = text[text.index("Version 1"):]
    assert "created" in original and "doctor" in original and "not recorded" not in original


def test_a_new_signature_reads_as_replaced_not_as_unchanged(doctor_client, patient):
    consent = ENTRIES["consents"][0](patient)
    posted = {**ENTRIES["consents"][1], "scope": "Scars", "signature_svg": "M5 5L9 9"}
    doctor_client.post(reverse("patients:item_edit", args=[patient.pk, "consents", consent.pk]), posted)
    assert "Signature signed on screen → signed on screen (replaced)" in versions_block(chart(doctor_client, patient))


def test_versions_are_numbered_by_content_and_a_first_marking_in_error_is_its_own_kind():
    from segmenta.patients.timeline import timeline

    def snap(mark, dose, error_at=None):
        return {"mark": mark, "at": None, "by": None, "values": {"dose": dose, "entered_in_error_at": error_at}}

    found = timeline([snap("+", "5 mg"), snap("~", "5 mg"), snap("~", "2.5 mg"), snap("~", "2.5 mg", "t"),
                      snap("~", "2.5 mg", "t")], ["dose", "entered_in_error_at"], "entered_in_error_at")
    assert [(v["number"], v["kind"], v["changed"]) for v in found] == [
        (1, "created", []), (2, "changed", ["dose"]), (3, "entered_in_error", ["entered_in_error_at"])]
    assert found[1]["previous"] == {"dose": "5 mg", "entered_in_error_at": None}
