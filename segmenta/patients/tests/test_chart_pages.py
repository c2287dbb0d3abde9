import json
import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from segmenta.audit.models import AuditEvent
from segmenta.patients import models as m


def new(client, patient, kind, data, **extra):
    return client.post(reverse("patients:item_new", args=[patient.pk, kind]), data, **extra)


def test_history_item_with_body_map_segments_and_named_regions(doctor_client, patient):
    response = new(doctor_client, patient, "history", {
        "kind": "scar", "description": "Appendectomy", "date": "1994",
        "map_regions": json.dumps([{"choir": 116, "side": "right"}]),
        "named_regions": ["abdomen_lower"], "named_side": "right", "signs": ["keloid"], "organs": ["appendix"],
    })
    assert response.status_code == 302
    item = m.HistoryItem.objects.get()
    assert item.regions == [{"choir": 116, "side": "right"}, {"region": "abdomen_lower", "side": "right"}]
    assert (item.signs, item.organs, item.recorded_by.username) == (["keloid"], ["appendix"], "doctor")
    assert AuditEvent.objects.filter(action="create", object_type="historyitem", patient=patient).exists()


def test_chart_shows_items_on_the_body_map_and_dental_chart(doctor_client, patient):
    m.HistoryItem.objects.create(patient=patient, kind="scar", description="Caesarean",
                                 regions=[{"choir": 121, "side": "right"}])
    m.HistoryItem.objects.create(patient=patient, kind="tooth", tooth="38", description="Extraction")
    m.Complaint.objects.create(patient=patient, description="Shoulder pain", regions=[{"region": "shoulder",
                                                                                      "side": "right"}])
    html = doctor_client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert 'class="seg has-history" data-choir="121"' in html
    # A named region marks every segment of that region on that side, front and back.
    assert 'class="seg has-complaint" data-choir="107"' in html
    assert 'class="seg has-complaint" data-choir="210"' in html
    assert 'class="seg" data-choir="110"' in html
    assert 'class="tooth has-items" data-tooth="38"' in html


def test_body_map_has_all_74_choir_segments_with_sides(doctor_client, patient):
    html = doctor_client.get(reverse("patients:item_new", args=[patient.pk, "complaints"])).content.decode()
    import re

    ids = sorted(int(x) for x in re.findall(r'data-choir="(\d+)"', html))
    assert ids == list(range(101, 137)) + list(range(201, 239))
    assert html.count('role="checkbox"') == 74 and html.count('tabindex="0"') >= 74


def test_tooth_picked_on_the_chart_preselects_the_form(doctor_client, patient):
    html = doctor_client.get(reverse("patients:item_new", args=[patient.pk, "history"]) + "?tooth=38").content
    assert b'<option value="38" selected>' in html and b'<option value="tooth" selected>' in html


def test_tooth_item_needs_a_tooth_and_only_tooth_items_have_one(doctor_client, patient):
    response = new(doctor_client, patient, "history", {"kind": "tooth", "description": "x"})
    assert "tooth" in response.context["form"].errors
    response = new(doctor_client, patient, "history", {"kind": "scar", "tooth": "38", "description": "x"})
    assert "tooth" in response.context["form"].errors
    assert not m.HistoryItem.objects.exists()


def test_bad_complaint_names_each_field(doctor_client, patient):
    response = new(doctor_client, patient, "complaints", {
        "description": "", "onset": "06/2019", "nrs": "11", "status": "active",
        "map_regions": json.dumps([{"choir": 999}]),
    })
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"description", "onset", "nrs", "map_regions"}
    assert not m.Complaint.objects.exists()


def test_garbled_body_map_input_is_a_field_error(doctor_client, patient):
    response = new(doctor_client, patient, "complaints", {"description": "x", "status": "active",
                                                          "map_regions": "{not json"})
    assert "map_regions" in response.context["form"].errors


def test_consent_by_scan_keeps_the_file_and_serves_it_to_the_clinic(doctor_client, patient):
    scan = SimpleUploadedFile("consent.pdf", b"%PDF-1.4 consent", content_type="application/pdf")
    response = new(doctor_client, patient, "consents", {"date": "2026-11-01", "decision": "given",
                                                        "scopes": ["injection_therapy"], "scope": "Neural therapy",
                                                        "method": "scan", "scan": scan})
    assert response.status_code == 302
    consent = m.Consent.objects.get()
    url = reverse("patients:consent_scan", args=[patient.pk, consent.pk])
    assert b"".join(doctor_client.get(url).streaming_content) == b"%PDF-1.4 consent"


def test_consent_withdrawal_is_recorded(doctor_client, patient):
    consent = m.Consent.objects.create(patient=patient, date="2026-01-01", scope="x", method="signature",
                                       signature_svg="M1 1L5 5", scopes=["injection_therapy"])
    doctor_client.post(reverse("patients:item_edit", args=[patient.pk, "consents", consent.pk]), {
        "date": "2026-01-01", "decision": "given", "scopes": ["injection_therapy"], "scope": "x",
        "method": "signature", "signature_svg": "M1 1L5 5",
        "withdrawn_on": "2026-03-01", "withdrawal_note": "Patient declines further injections"})
    consent.refresh_from_db()
    assert not consent.active
    assert "withdrawn 2026-03-01" in doctor_client.get(reverse("patients:detail", args=[patient.pk])).content.decode()


def test_weight_history_is_kept_and_the_latest_shown(doctor_client, patient):
    new(doctor_client, patient, "weights", {"date": "2026-01-01", "weight_kg": "70.0"})
    new(doctor_client, patient, "weights", {"date": "2026-06-01", "weight_kg": "68.5"})
    assert m.WeightMeasurement.objects.filter(patient=patient).count() == 2
    page = doctor_client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "68.5 kg</a> <span class=\"meta\">(2026-06-01)</span>" in page
    assert "70.0 kg" not in page


def test_chart_forms_of_another_clinic_are_404(doctor_client, foreign_patient):
    assert doctor_client.get(reverse("patients:item_new", args=[foreign_patient.pk, "history"])).status_code == 404
    response = new(doctor_client, foreign_patient, "history", {"kind": "scar", "description": "x"})
    assert response.status_code == 404 and not m.HistoryItem.objects.exists()


def test_unknown_item_kind_is_404(doctor_client, patient):
    assert doctor_client.get(f"/patients/{patient.pk}/spells/new/").status_code == 404


def test_a_new_consent_asks_nothing_about_withdrawal_which_comes_with_its_edit_form(doctor_client, patient):
    html = doctor_client.get(reverse("patients:item_new", args=[patient.pk, "consents"])).content.decode()
    assert "Withdrawn on" not in html and "Withdrawal note" not in html and "How it was signed" in html
    consent = m.Consent.objects.create(patient=patient, date="2026-01-01", scope="x", method="signature",
                                       signature_svg="M1 1L5 5", scopes=["injection_therapy"])
    html = doctor_client.get(reverse("patients:item_edit", args=[patient.pk, "consents", consent.pk])).content.decode()
    assert "Withdrawn on" in html and "Withdrawal note" in html


def test_recent_access_folds_a_burst_of_views_and_still_shows_who_came_before(doctor_client, patient, admin_user):
    from segmenta.audit.trail import record

    record("view", user=admin_user, patient=patient, obj=patient)
    url = reverse("patients:detail", args=[patient.pk])
    for _ in range(59):
        doctor_client.get(url)
    html = doctor_client.get(url).content.decode()
    card = html[html.index("Recent access"):]
    card = card[:card.index("</ul>")]
    # Sixty views, folded by minute (one or two lines, however the clock ticks), and the
    # admin's earlier view still listed under them.
    folded = [int(n) for n in re.findall(r"doctor · View ×(\d+)", card)]
    assert sum(folded) + card.count("doctor · View</li>") == 60 and card.count("<li>") <= 3
    assert "boss · View" in card
