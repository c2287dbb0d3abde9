"""The session page's emergency card and the daily emergency-equipment check."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from segmenta.audit.models import AuditEvent
from segmenta.conftest import login_verified
from segmenta.knowledge.base import load
from segmenta.knowledge.last import emergency_card
from segmenta.patients import models as pm
from segmenta.patients.corrections import mark_in_error
from segmenta.treatment.models import AdverseEvent, EquipmentCheck, Session

ITEMS = [item["id"] for item in load().get("protocol", "emergency-equipment")["items"]]


@pytest.fixture
def session(patient, doctor):
    return Session.objects.create(patient=patient, started_at="2026-11-25T10:00:00+01:00", practitioner=doctor)


def html_of(client, session):
    return client.get(reverse("treatment:session", args=[session.pk])).content.decode()


def test_the_card_is_always_on_the_session_page_and_doses_lipid_on_lean_body_weight(doctor_client, session, patient):
    """ASRA 2020: ≤ 70 kg, 1.5 mL/kg lean body weight (Janmahasatian: 60 kg, 165 cm, female → 39.3 kg)."""
    pm.WeightMeasurement.objects.create(patient=patient, date="2026-11-01", weight_kg=60, height_cm=165)
    html = html_of(doctor_client, session)
    assert 'id="emergency-card"' in html and "<details" in html
    assert "On lean body weight 39.3 kg" in html and "58.9 mL" in html and "9.8 mL/min" in html
    # The AAGBI regimen beside it, and the adrenaline dose for this patient (capped at 0.5 mg).
    assert "90.0 mL" in html and "900 mL/h" in html and "0.5 mg = 0.5 mL" in html


def test_an_older_weight_row_still_gives_the_height(doctor_client, session, patient):
    pm.WeightMeasurement.objects.create(patient=patient, date="2025-01-01", weight_kg=64, height_cm=165)
    pm.WeightMeasurement.objects.create(patient=patient, date="2026-11-01", weight_kg=60)
    assert "On lean body weight 39.3 kg" in html_of(doctor_client, session)


def test_a_weight_entered_in_error_is_never_the_cards_basis(doctor_client, doctor, session, patient):
    """A typo of 6 kg marked entered in error: the card doses on the standing 60 kg again."""
    pm.WeightMeasurement.objects.create(patient=patient, date="2026-11-01", weight_kg=60, height_cm=165)
    typo = pm.WeightMeasurement.objects.create(patient=patient, date="2026-11-20", weight_kg=6, height_cm=65)
    assert "On lean body weight 39.3 kg" not in html_of(doctor_client, session)
    mark_in_error(typo, doctor, "typed 6 for 60")
    assert "On lean body weight 39.3 kg" in html_of(doctor_client, session)


def test_without_a_height_the_card_says_so_and_doses_on_actual_weight(doctor_client, session, patient):
    pm.WeightMeasurement.objects.create(patient=patient, date="2026-11-01", weight_kg=60)
    html = html_of(doctor_client, session)
    assert "Height unknown." in html and "On actual body weight 60 kg (lean body weight unknown)" in html
    assert reverse("patients:item_new", args=[patient.pk, "weights"]) in html


def test_without_a_weight_the_card_gives_only_fixed_and_adult_doses_and_says_why(doctor_client, session):
    html = html_of(doctor_client, session)
    assert "Weight unknown." in html and "100 mL over 2–3 min" in html
    assert "weight unknown — adult 0.5 mg = 0.5 mL" in html


def test_a_child_gets_a_weight_based_adrenaline_dose_and_a_warning_about_the_formula(doctor_client, doctor, clinic):
    from segmenta.conftest import make_patient

    child = make_patient(clinic, "Klein", "Kai", birth_date=timezone.localdate().replace(year=timezone.localdate().year - 9),
                         sex="male")
    pm.WeightMeasurement.objects.create(patient=child, date="2026-11-01", weight_kg=25, height_cm=130)
    session = Session.objects.create(patient=child, started_at="2026-11-25T10:00:00+01:00", practitioner=doctor)
    html = html_of(doctor_client, session)
    assert "0.25 mg = 0.25 mL" in html and "the lean-weight formula was derived in adults" in html


def test_a_recorded_last_event_shows_the_alert_with_the_cards_own_lean_doses(doctor_client, session, patient):
    pm.WeightMeasurement.objects.create(patient=patient, date="2026-11-01", weight_kg=60, height_cm=165)
    AdverseEvent.objects.create(session=session, kind="last", occurred_at=timezone.now())
    html = html_of(doctor_client, session)
    card = emergency_card(60.0, 165.0, "female", 56)
    assert f"Bolus {card['asra']['bolus_ml']} mL over 2–3 min" in html and 'role="alert"' in html
    assert 'id="emergency-card" open' in html


def test_the_session_page_warns_when_the_equipment_was_not_checked_today(doctor_client, session, clinic, doctor):
    html = html_of(doctor_client, session)
    assert "The emergency equipment has not been checked today." in html
    assert reverse("treatment:equipment_check") in html
    # Yesterday's check does not count.
    EquipmentCheck.objects.create(clinic=clinic, date=timezone.localdate() - datetime.timedelta(days=1),
                                  items=ITEMS, complete=True, checked_by=doctor)
    assert "has not been checked today" in html_of(doctor_client, session)
    EquipmentCheck.objects.create(clinic=clinic, date=timezone.localdate(), items=ITEMS, complete=True,
                                  checked_by=doctor)
    html = html_of(doctor_client, session)
    assert "Emergency equipment checked today by doctor" in html and "has not been checked" not in html


def test_another_clinics_check_does_not_count(doctor_client, session, other_clinic, outsider):
    EquipmentCheck.objects.create(clinic=other_clinic, date=timezone.localdate(), items=ITEMS, complete=True,
                                  checked_by=outsider)
    assert "has not been checked today" in html_of(doctor_client, session)


def test_a_complete_check_is_stored_for_the_clinic_and_day_and_audited(doctor_client, clinic):
    data = {f"item_{item}": "on" for item in ITEMS}
    response = doctor_client.post(reverse("treatment:equipment_check"), data)
    assert response.status_code == 302
    check = EquipmentCheck.objects.get()
    assert (check.clinic, check.date, check.items, check.complete) == (clinic, timezone.localdate(), ITEMS, True)
    event = AuditEvent.objects.get(object_type="equipmentcheck")
    assert event.clinic == clinic and event.detail["missing"] == []


def test_an_incomplete_check_needs_a_note_naming_what_is_missing(doctor_client, clinic):
    data = {f"item_{item}": "on" for item in ITEMS if item != "lipid_emulsion"}
    response = doctor_client.post(reverse("treatment:equipment_check"), data)
    assert response.status_code == 400 and "say what is missing" in response.content.decode()
    assert not EquipmentCheck.objects.exists()
    doctor_client.post(reverse("treatment:equipment_check"), {**data, "note": "Lipid expired, reordered"})
    check = EquipmentCheck.objects.get()
    assert not check.complete and "lipid_emulsion" not in check.items


def test_an_incomplete_check_today_keeps_the_session_warning_with_what_is_missing(doctor_client, session, clinic,
                                                                                    doctor):
    EquipmentCheck.objects.create(clinic=clinic, date=timezone.localdate(), items=ITEMS[1:], complete=False,
                                  note="Oxygen cylinder empty", checked_by=doctor)
    html = html_of(doctor_client, session)
    assert "incomplete" in html and "Oxygen: cylinder full" in html and "Oxygen cylinder empty" in html


def test_the_check_goes_back_to_the_session_it_came_from(doctor_client, session):
    back = reverse("treatment:session", args=[session.pk])
    data = {f"item_{item}": "on" for item in ITEMS}
    response = doctor_client.post(reverse("treatment:equipment_check") + f"?next={back}", data)
    assert response["Location"] == back
    response = doctor_client.post(reverse("treatment:equipment_check") + "?next=https://evil.example/", data)
    assert response["Location"] == reverse("treatment:equipment_check")


def test_a_clinic_the_user_does_not_belong_to_is_404(doctor_client, other_clinic):
    response = doctor_client.get(reverse("treatment:equipment_check") + f"?clinic={other_clinic.pk}")
    assert response.status_code == 404


def test_an_assistant_may_check_the_equipment(session, assistant):
    client = login_verified(Client(), assistant)
    client.post(reverse("treatment:equipment_check"), {f"item_{item}": "on" for item in ITEMS})
    assert EquipmentCheck.objects.get().checked_by == assistant


@pytest.mark.parametrize("entry", ["last", "last-aagbi", "last-monitoring", "lean-body-weight", "anaphylaxis",
                                   "vasovagal", "emergency-equipment", "pharmacovigilance"])
def test_every_entry_the_card_cites_opens_in_the_learn_section(doctor_client, entry):
    response = doctor_client.get(reverse("knowledge:entry", args=["protocol", entry]))
    assert response.status_code == 200 and load().get("protocol", entry)["name"] in response.content.decode()
