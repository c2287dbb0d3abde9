"""The case simulator's pages: a run step by step through the server, kept per practitioner
and clinic, scored when finished, and repeatable."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from segmenta.conftest import login_verified, make_user
from segmenta.learning.models import SimulatorRun

pytestmark = pytest.mark.django_db

CASE = "anticoagulated-arm-pain"


def start(client, case=CASE):
    response = client.post(reverse("learning:simulator_start", args=[case]))
    assert response.status_code == 302
    return SimulatorRun.objects.latest("id")


def test_the_learn_index_links_the_simulator_and_the_list_names_every_case(doctor_client):
    index = doctor_client.get(reverse("knowledge:index")).content.decode()
    assert reverse("learning:simulator") in index
    page = doctor_client.get(reverse("learning:simulator")).content.decode()
    for name in ("Right shoulder pain and an old appendectomy scar", "Low back pain with night pain and weight loss",
                 "Burning arm pain in a patient taking apixaban", "Frontal headache after recurrent sinusitis"):
        assert name in page
    assert "Not run yet" in page


def test_a_whole_run_is_stored_step_by_step_and_scored(doctor_client, doctor):
    run = start(doctor_client)
    assert (run.membership.user, run.clinic_id, run.step) == (doctor, run.membership.clinic_id, "history")
    ask = reverse("learning:simulator_ask", args=[run.pk])
    revealed = doctor_client.post(ask, {"question": "medication"}, HTTP_HX_REQUEST="true")
    assert "Apixaban 5 mg twice daily" in revealed.content.decode()
    assert "<html" not in revealed.content.decode()  # the htmx answer is the list alone
    doctor_client.post(ask, {"question": "onset"})
    doctor_client.post(ask, {"question": "onset"})  # asking again changes nothing
    run.refresh_from_db()
    assert run.answers["asked"] == ["medication", "onset"]
    advance = reverse("learning:simulator_advance", args=[run.pk])
    doctor_client.post(advance)
    doctor_client.post(advance, {"regions": '[{"choir": 118, "side": "left"}]'})
    run.refresh_from_db()
    assert (run.step, run.answers["regions"]) == ("plan", [{"choir": 118}])
    plan = doctor_client.get(reverse("learning:simulator_run", args=[run.pk])).content.decode()
    assert "Fracture (Wrist, left)" in plan  # revealed by the question on the onset
    assert "Scar (Forearm, left)" not in plan  # never asked about, so not offered as a field
    response = doctor_client.post(advance, {
        "candidate_fields": ["h1"], "target_1": "stellate", "side_1": "left", "drug_1": "procaine",
        "concentration_1": "1", "volume_1": "5", "target_2": "wheal", "drug_2": "procaine",
        "concentration_2": "1", "volume_2": "0.5"})
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.step == "done" and run.finished_at is not None
    assert run.answers["injections"][0] == {"target": "stellate", "drug": "procaine", "concentration_percent": 1.0,
                                            "volume_ml": 5.0, "side": "left"}
    assert run.breakdown["safety"]["points"] == 0  # the stellate block is refused under apixaban: dangerous
    assert run.score == round(sum(part["points"] for part in run.breakdown.values()))
    debrief = doctor_client.get(reverse("learning:simulator_run", args=[run.pk])).content.decode()
    assert f"Your score: {run.score} of 100" in debrief
    assert "apixaban (anticoagulant): last dose 2 h ago" in debrief
    assert "Expert commentary" in debrief
    listed = doctor_client.get(reverse("learning:simulator")).content.decode()
    assert f"Best score {run.score} of 100 in 1 run" in listed


@pytest.mark.parametrize(("posted", "message"), [
    ({"target_1": "wheal", "drug_1": "procaine", "concentration_1": "1"}, "Give the dose of this injection."),
    ({"target_1": "wheal", "concentration_1": "1", "volume_1": "0.5"}, "Choose the drug of this injection."),
])
def test_an_injection_without_its_dose_or_drug_is_refused_naming_the_field_and_nothing_is_scored(
        doctor_client, posted, message):
    run = start(doctor_client, "shoulder-scar")
    advance = reverse("learning:simulator_advance", args=[run.pk])
    doctor_client.post(advance)
    doctor_client.post(advance, {"regions": "[]"})
    response = doctor_client.post(advance, posted)
    assert response.status_code == 400
    assert message in response.content.decode()
    run.refresh_from_db()
    assert (run.step, run.score) == ("plan", None)


def test_another_practitioners_run_is_not_found(doctor_client, clinic, client):
    run = start(doctor_client)
    colleague = make_user("colleague", clinic)
    other = login_verified(client, colleague)
    assert other.get(reverse("learning:simulator_run", args=[run.pk])).status_code == 404
    assert other.post(reverse("learning:simulator_ask", args=[run.pk]), {"question": "onset"}).status_code == 404


def test_an_unknown_case_or_question_is_not_found(doctor_client):
    assert doctor_client.post(reverse("learning:simulator_start", args=["no-such-case"])).status_code == 404
    run = start(doctor_client)
    response = doctor_client.post(reverse("learning:simulator_ask", args=[run.pk]), {"question": "nonsense"})
    assert response.status_code == 404


def test_runs_repeat_and_the_list_shows_the_best(doctor_client):
    scores = []
    for asked in ([], ["night", "weight", "operations"]):
        run = start(doctor_client, "back-pain-red-flags")
        for question in asked:
            doctor_client.post(reverse("learning:simulator_ask", args=[run.pk]), {"question": question})
        advance = reverse("learning:simulator_advance", args=[run.pk])
        doctor_client.post(advance)
        doctor_client.post(advance, {"regions": "[]"})
        doctor_client.post(advance, {"red_flags": ["night_pain", "unexplained_weight_loss", "new_pain_over_50"]})
        run.refresh_from_db()
        scores.append(run.score)
    assert scores[1] > scores[0]
    assert SimulatorRun.objects.filter(vignette="back-pain-red-flags").count() == 2
    listed = doctor_client.get(reverse("learning:simulator")).content.decode()
    assert f"Best score {max(scores)} of 100 in 2 runs" in listed


def test_the_knowledge_base_page_of_a_case_gives_nothing_away(doctor_client):
    page = doctor_client.get(reverse("knowledge:entry", args=["vignette", "back-pain-red-flags"])).content.decode()
    assert "A 63-year-old retired baker has had low back pain for two months." in page
    assert reverse("learning:simulator") in page
    for hidden in ("refer for examination", "night_pain", "unexplained_weight_loss", "inguinal hernia repair scar",
                   "wakes him most nights"):
        assert hidden not in page
    # Nor the ganglion blocks a case discourages: they are part of its answer.
    page = doctor_client.get(reverse("knowledge:entry", args=["vignette", "sinus-headache"])).content.decode()
    assert "Frontal headache after recurrent sinusitis" in page
    for hidden in ("Discouraged targets", "pterygopalatine", "Superior cervical ganglion"):
        assert hidden not in page


def test_the_list_costs_the_same_queries_for_one_run_and_many(doctor_client):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert doctor_client.get(reverse("learning:simulator")).status_code == 200
        return len(captured.captured_queries)

    start(doctor_client)
    one = queries()
    for case in ("shoulder-scar", "sinus-headache", "back-pain-red-flags", CASE, CASE):
        start(doctor_client, case)
    assert queries() == one


def test_the_debrief_says_when_a_blocked_injection_capped_the_score(doctor_client):
    from segmenta.knowledge.base import load
    from segmenta.learning import simulator

    kb = load()
    vignette = kb.get("vignette", "shoulder-scar")
    run = start(doctor_client, "shoulder-scar")
    for question in vignette["questions"]:
        doctor_client.post(reverse("learning:simulator_ask", args=[run.pk]), {"question": question["id"]})
    right = next(s["id"] for s in kb.entries["choir-segment"].values()
                 if "shoulder" in s["regions"] and s["side"] == "right")
    advance = reverse("learning:simulator_advance", args=[run.pk])
    doctor_client.post(advance)
    doctor_client.post(advance, {"regions": f'[{{"choir": {right}}}]'})
    doctor_client.post(advance, {
        "candidate_fields": ["h1"], "target_1": "wheal", "drug_1": "procaine", "concentration_1": "1",
        "volume_1": "0.5", "target_2": "wheal", "drug_2": "procaine", "concentration_2": "2", "volume_2": "20"})
    run.refresh_from_db()
    assert run.step == "done"
    assert sum(part["points"] for part in run.breakdown.values()) > simulator.BLOCKED_CAP
    assert run.score == simulator.BLOCKED_CAP
    debrief = doctor_client.get(reverse("learning:simulator_run", args=[run.pk])).content.decode()
    assert f"so the score is capped at {simulator.BLOCKED_CAP}." in debrief


def test_the_debrief_says_injections_before_the_referral_are_dangerous_beside_the_ok_of_the_safety_check(
        doctor_client):
    run = start(doctor_client, "back-pain-red-flags")
    advance = reverse("learning:simulator_advance", args=[run.pk])
    doctor_client.post(advance)
    doctor_client.post(advance, {"regions": '[{"choir": 218}]'})
    doctor_client.post(advance, {"red_flags": ["night_pain"], "target_1": "wheal", "drug_1": "procaine",
                                 "concentration_1": "1", "volume_1": "0.5"})
    run.refresh_from_db()
    assert run.step == "done" and run.breakdown["safety"]["points"] == 0
    debrief = doctor_client.get(reverse("learning:simulator_run", args=[run.pk])).content.decode()
    assert "yet you proposed injections: a plan that delays the work-up earns no points for safety." in debrief
    assert "refer first: no injection before the work-up" in debrief


def test_a_debrief_scored_on_another_knowledge_base_version_says_so(doctor_client):
    run = start(doctor_client, "shoulder-scar")
    advance = reverse("learning:simulator_advance", args=[run.pk])
    doctor_client.post(advance)
    doctor_client.post(advance, {"regions": "[]"})
    doctor_client.post(advance, {})
    said = "The knowledge base has changed since this run was scored"
    assert said not in doctor_client.get(reverse("learning:simulator_run", args=[run.pk])).content.decode()
    SimulatorRun.objects.filter(pk=run.pk).update(knowledge_version="an-older-version")
    assert said in doctor_client.get(reverse("learning:simulator_run", args=[run.pk])).content.decode()
