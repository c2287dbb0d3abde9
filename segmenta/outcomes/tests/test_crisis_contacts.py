"""Crisis contacts on the patient's thank-you page: the clinic's own, else the knowledge
base's defaults for its jurisdiction, shown to every patient whatever they answered.

Sources: the national services' own pages as listed in the reference sheet, section 10
(DE TelefonSeelsorge 0800 111 0 111 / 0800 111 0 222; AT 142; CH Die Dargebotene Hand
143; ES 024; US 988; the emergency number 112, in the US 911).
"""

import pytest
from django.test import Client

from segmenta.knowledge.base import KnowledgeError, load, load_from
from segmenta.knowledge.crisis import contacts_for, jurisdiction_key
from segmenta.outcomes.models import AnswerLink

ENTRIES = load().entries["crisis-contact"]
PHQ_CALM = {f"phq9-{i}": "not_at_all" for i in range(1, 10)}
PHQ_ITEM_9 = PHQ_CALM | {"phq9-9": "several_days"}


@pytest.mark.parametrize("jurisdiction,phones,emergency", [
    ("DE", ["0800 111 0 111", "0800 111 0 222"], "112"),
    ("AT", ["142"], "112"),
    ("CH", ["143"], "112"),
    ("ES", ["024"], "112"),
    ("US", ["988"], "911"),
    ("US-OR", ["988"], "911"),
    ("us-ny", ["988"], "911"),
])
def test_defaults_follow_the_jurisdiction(jurisdiction, phones, emergency):
    found = contacts_for(jurisdiction, "", ENTRIES)
    assert [c["phone"] for c in found["contacts"]] == phones and found["emergency"] == emergency
    assert found["own"] == []


@pytest.mark.parametrize("jurisdiction", ["", None, "FR", "GB", "USA"])
def test_an_unknown_jurisdiction_gets_the_fallback_with_112(jurisdiction):
    found = contacts_for(jurisdiction, "", ENTRIES)
    assert (found["entry"], found["contacts"], found["emergency"]) == ("other", [], "112")


def test_a_clinics_own_contacts_replace_the_defaults_line_by_line():
    found = contacts_for("DE", "  Praxis-Notfallnummer 030 123 456 \n\nKrisendienst Berlin 030 390 63 00\n", ENTRIES)
    assert found["own"] == ["Praxis-Notfallnummer 030 123 456", "Krisendienst Berlin 030 390 63 00"]
    assert found["contacts"] == [] and found["emergency"] == "112"


def test_us_states_map_to_us_and_others_stay():
    assert [jurisdiction_key(j) for j in ("US-CA", "US", "DE", " at ", "")] == ["US", "US", "DE", "AT", ""]


def test_every_default_entry_has_sources_and_evidence():
    for entry in ENTRIES.values():
        assert entry["sources"] and entry["evidence"]
        assert all(load().source(s) for s in entry["sources"])


def test_the_knowledge_base_refuses_crisis_contacts_without_a_fallback(tmp_path):
    import shutil

    from segmenta.knowledge.base import DATA_DIR

    shutil.copytree(DATA_DIR, tmp_path / "data")
    path = tmp_path / "data" / "crisis_contacts.yaml"
    text = path.read_text()
    path.write_text(text[:text.index("- id: other")])
    with pytest.raises(KnowledgeError, match="fallback entry 'other'"):
        load_from(tmp_path / "data")


def thank_you_page(patient, doctor, answers):
    _link, raw = AnswerLink.issue(patient, "phq-9", doctor)
    response = Client().post(f"/q/{raw}/", answers)
    assert response.status_code == 200
    return response.content.decode()


def test_the_thank_you_page_shows_the_jurisdictions_contacts(clinic, patient, doctor):
    clinic.jurisdiction = "DE"
    clinic.save()
    html = thank_you_page(patient, doctor, PHQ_CALM)
    assert "TelefonSeelsorge" in html and 'href="tel:08001110111"' in html and 'href="tel:08001110222"' in html
    assert 'href="tel:112"' in html


def test_a_us_state_clinic_shows_988_and_911(clinic, patient, doctor):
    clinic.jurisdiction = "US-OR"
    clinic.save()
    html = thank_you_page(patient, doctor, PHQ_CALM)
    assert 'href="tel:988"' in html and 'href="tel:911"' in html and "TelefonSeelsorge" not in html


def test_the_clinics_own_contacts_are_shown_instead(clinic, patient, doctor):
    clinic.jurisdiction = "DE"
    clinic.crisis_contacts = "Praxis Nord, Notfall: 040 123 456\nKrisendienst Hamburg 040 428 11 3000"
    clinic.save()
    html = thank_you_page(patient, doctor, PHQ_CALM)
    assert "Praxis Nord, Notfall: 040 123 456" in html and "Krisendienst Hamburg 040 428 11 3000" in html
    assert "TelefonSeelsorge" not in html and 'href="tel:112"' in html


def test_the_page_is_the_same_whether_or_not_an_alert_was_raised(clinic, patient, doctor):
    clinic.jurisdiction = "AT"
    clinic.save()
    calm = thank_you_page(patient, doctor, PHQ_CALM)
    alerted = thank_you_page(patient, doctor, PHQ_ITEM_9)
    strip = lambda html: html.split("<main", 1)[1]  # noqa: E731  (the head carries per-request nonces)
    assert patient.alerts.count() == 1
    assert strip(calm) == strip(alerted) and 'href="tel:142"' in calm


def test_a_clinics_knowledge_base_override_of_its_defaults_is_shown(clinic, patient, doctor):
    from segmenta.knowledge.models import ClinicOverride

    clinic.jurisdiction = "DE"
    clinic.save()
    ClinicOverride.objects.create(clinic=clinic, kind="crisis-contact", entry_id="DE", reason="local crisis service",
                                  data={"contacts": [{"name": "Krisendienst Nord", "phone": "040 123 456"}]})
    html = thank_you_page(patient, doctor, PHQ_CALM)
    assert "Krisendienst Nord" in html and 'href="tel:040123456"' in html and "TelefonSeelsorge" not in html


def test_broken_overrides_still_leave_the_patient_the_shipped_contacts(clinic, patient, doctor):
    from segmenta.knowledge.models import ClinicOverride

    clinic.jurisdiction = "DE"
    clinic.save()
    ClinicOverride.objects.create(clinic=clinic, kind="crisis-contact", entry_id="DE", reason="typo",
                                  data={"contacts": [{"name": "Krisendienst Nord"}]})  # no phone: invalid
    html = thank_you_page(patient, doctor, PHQ_CALM)
    assert "TelefonSeelsorge" in html and 'href="tel:112"' in html
