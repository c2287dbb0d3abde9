"""The Huneke thresholds are expert-opinion defaults a clinic may change: its override
changes how test injections are classified, and the Learn page says so."""

import json

from django.urls import reverse

from segmenta.knowledge.base import load
from segmenta.knowledge.service import for_clinic
from segmenta.treatment.huneke import classify, thresholds

SHIPPED = load().get("protocol", "huneke")["criteria"]


def case(**test):
    return {"format": "segmenta-case/1",
            "complaints": [{"id": "c1", "regions": [{"region": "shoulder", "side": "right"}]}],
            "history": [{"id": "h1", "kind": "scar", "description": "appendectomy",
                         "regions": [{"region": "abdomen_lower", "side": "right"}]}],
            "tests": [{"history_id": "h1", "complaint_id": "c1", **test}]}


def override(client, clinic, criteria, reason="Our clinic reads the phenomenon more loosely"):
    return client.post(reverse("knowledge:overrides"), {
        "clinic": clinic.pk, "kind": "protocol", "entry_id": "huneke",
        "data_text": json.dumps({"criteria": criteria}), "reason": reason})


def kinds(kb, **test):
    return [t["classification"] for t in classify(case(**test), kb)["tests"]]


def test_the_shipped_thresholds_are_marked_expert_opinion_and_clinic_settable():
    huneke = load().get("protocol", "huneke")
    assert huneke["evidence"] == "expert_opinion"
    assert set(huneke["clinic_settable"]) == {"onset_seconds_max", "relief_percent_min", "duration_hours_min",
                                              "duration_hours_min_tooth", "partial_relief_percent_min"}
    assert (SHIPPED["onset_seconds_max"], SHIPPED["partial_relief_percent_min"]) == (300, 30)


def test_a_clinic_override_of_the_thresholds_changes_the_classification(admin_client, clinic, other_clinic):
    slow_onset = {"onset_seconds": 400, "relief_percent": 100, "duration_hours": 24}
    weak_relief = {"onset_seconds": 5, "relief_percent": 35, "duration_hours": 2}
    assert kinds(for_clinic(clinic), **slow_onset) == ["partial"]
    assert kinds(for_clinic(clinic), **weak_relief) == ["partial"]

    looser = {**SHIPPED, "onset_seconds_max": 600, "partial_relief_percent_min": 50}
    assert override(admin_client, clinic, looser).status_code == 302

    kb = for_clinic(clinic)
    assert thresholds(kb)["onset_seconds_max"] == 600
    assert kinds(kb, **slow_onset) == ["huneke"]
    assert kinds(kb, **weak_relief) == ["negative"]
    # The shipped defaults still hold for every other clinic.
    assert kinds(for_clinic(other_clinic), **slow_onset) == ["partial"]


def test_the_huneke_api_classifies_with_the_callers_clinic_thresholds(admin_client, clinic, api_client):
    slow_onset = {"onset_seconds": 400, "relief_percent": 100, "duration_hours": 24}
    url = reverse("api:huneke")

    def classified():
        response = api_client.post(url, case(**slow_onset), content_type="application/json")
        assert response.status_code == 200, response.content
        return response.json()["tests"][0]["classification"]

    assert classified() == "partial"
    override(admin_client, clinic, {**SHIPPED, "onset_seconds_max": 600})
    assert classified() == "huneke"


def test_an_override_that_names_one_threshold_keeps_the_others(admin_client, clinic):
    response = override(admin_client, clinic, {"onset_seconds_max": 600})
    assert response.status_code == 302
    criteria = for_clinic(clinic).get("protocol", "huneke")["criteria"]
    assert criteria["onset_seconds_max"] == 600
    assert criteria["relief_percent_min"] == SHIPPED["relief_percent_min"]


def test_an_override_with_partial_relief_above_complete_relief_is_refused(admin_client, clinic):
    response = override(admin_client, clinic, {**SHIPPED, "relief_percent_min": 80, "partial_relief_percent_min": 90})
    assert response.status_code == 400
    assert "criteria.partial_relief_percent_min: must not exceed" in str(response.context["form"].errors)


def test_the_learn_page_says_the_thresholds_are_expert_opinion_defaults_a_clinic_may_change(admin_client, clinic):
    url = reverse("knowledge:entry", args=["protocol", "huneke"])
    html = admin_client.get(url).content.decode()
    assert "Expert-opinion defaults your clinic may change" in html
    assert "These are the shipped defaults; your clinic has not changed them." in html
    assert "<dt>Onset within (s)</dt><dd>300</dd>" in html

    override(admin_client, clinic, {**SHIPPED, "onset_seconds_max": 600})
    html = admin_client.get(url).content.decode()
    assert "These are your clinic's values." in html
    assert "<dt>Onset within (s)</dt><dd>600</dd>" in html
    assert "Your clinic overrides this entry: Our clinic reads the phenomenon more loosely" in html
