import json

import pytest
from django.urls import reverse

from segmenta.audit.models import AuditEvent
from segmenta.knowledge.base import KnowledgeError, load
from segmenta.knowledge.models import ClinicOverride
from segmenta.knowledge.service import for_clinic

POLICY = {"limits": {"session_max_mg": 400, "per_kg_mg": 7, "max_concentration_percent": 1}}


def add(client, clinic, kind="drug", entry_id="procaine", data=POLICY, reason="Our own stricter dose policy"):
    return client.post(reverse("knowledge:overrides"), {
        "clinic": clinic.pk, "kind": kind, "entry_id": entry_id, "data_text": json.dumps(data), "reason": reason})


def test_clinic_admin_overrides_a_dose_policy_and_it_is_audited(admin_client, clinic):
    assert add(admin_client, clinic).status_code == 302
    kb = for_clinic(clinic)
    assert kb.get("drug", "procaine")["limits"]["session_max_mg"] == 400
    assert kb.version != load().version and kb.is_override("drug", "procaine")
    assert load().get("drug", "procaine")["limits"]["session_max_mg"] == 500  # shipped file untouched
    event = AuditEvent.objects.get(action="create", object_type="clinicoverride")
    assert event.clinic_id == clinic.pk and event.detail["reason"] == "Our own stricter dose policy"


def test_override_is_shown_as_such_in_learn(admin_client, clinic):
    add(admin_client, clinic)
    html = admin_client.get(reverse("knowledge:entry", args=["drug", "procaine"])).content.decode()
    assert "Your clinic overrides this entry: Our own stricter dose policy" in html


def test_other_clinics_keep_the_shipped_entry(admin_client, clinic, other_clinic):
    add(admin_client, clinic)
    assert for_clinic(other_clinic).get("drug", "procaine")["limits"]["session_max_mg"] == 500


def test_an_override_that_breaks_the_schema_is_refused_with_the_reason(admin_client, clinic):
    response = add(admin_client, clinic, data={"limits": {"session_max_mg": -1}})
    assert response.status_code == 400
    assert "session_max_mg" in str(response.context["form"].errors["data_text"])
    assert not ClinicOverride.objects.exists()


def test_a_local_scope_rule_can_be_added(admin_client, clinic):
    rule = {"name": "France: osteopaths may not inject", "jurisdictions": ["FR"], "professions": ["osteopath"],
            "status": "denied", "enforcement": "block", "sources": [], "evidence": "no_source"}
    assert add(admin_client, clinic, kind="scope-rule", entry_id="fr-no-osteopaths", data=rule).status_code == 302
    assert for_clinic(clinic).get("scope-rule", "fr-no-osteopaths")["jurisdictions"] == ["FR"]


def test_withdrawing_restores_the_shipped_entry(admin_client, clinic):
    add(admin_client, clinic)
    override = ClinicOverride.objects.get()
    admin_client.post(reverse("knowledge:override_deactivate", args=[override.pk]))
    assert for_clinic(clinic).get("drug", "procaine")["limits"]["session_max_mg"] == 500
    assert AuditEvent.objects.filter(action="delete", object_type="clinicoverride").exists()


def test_practitioners_cannot_change_overrides(doctor_client):
    assert doctor_client.get(reverse("knowledge:overrides")).status_code == 404


def test_with_overrides_refuses_an_unknown_kind():
    with pytest.raises(KnowledgeError, match="unknown kind"):
        load().with_overrides([("spell", "x", {}, "")])


def test_the_overrides_page_reads_in_words(admin_client, clinic):
    """The form names the kinds by their titles, preselects an admin's only clinic, and the list
    names the kind and the entry and shows the fields with labels, not as JSON."""
    page = admin_client.get(reverse("knowledge:overrides"))
    html = page.content.decode()
    assert "No overrides yet.</p>" in html and "<table" not in html[html.index("<main"):html.index("Add an override")]
    form = page.context["form"]
    assert form["kind"].label == "Kind of entry"
    choices = dict(form.fields["kind"].choices)
    assert choices["red-flag-area"] == "Red-flag screening areas" and choices["choir-segment"] == "Body-map segments"
    assert '<option value="red-flag-area">Red-flag screening areas</option>' in html
    assert f'<option value="{clinic.pk}" selected>' in html and "Choose…" not in html.split('name="clinic"')[1][:200]

    add(admin_client, clinic)
    html = admin_client.get(reverse("knowledge:overrides")).content.decode()
    row = html[html.index("<tbody>"):html.index("</tbody>")]
    assert "Procaine" in row and "Drugs" in row and "drug / procaine" not in row
    assert "session_max_mg" not in row and "{&#x27;limits&#x27;" not in row and "400" in row
