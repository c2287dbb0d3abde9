"""Practice outcomes report intention to treat beside completers.

Completers: complaints with an NRS before at least two sessions. Intention to treat:
every complaint with a baseline NRS above 0; one without a later score counts as not
responding. Responder: NRS at least 30 % below baseline (IMMPACT, Dworkin 2008;
knowledge base ``nrs-11``). Intervals: Wilson score, 95 %.
"""

import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from segmenta.accounts.models import Clinic
from segmenta.conftest import make_patient
from segmenta.outcomes.statistics import side_by_side, wilson
from segmenta.outcomes.summary import summary
from segmenta.patients import models as pm
from segmenta.treatment.models import ComplaintScore, Injection, Session


def course(patient, region, nrs, target=None):
    complaint = pm.Complaint.objects.create(patient=patient, description="pain", regions=[{"region": region}])
    for day, value in enumerate(nrs, start=1):
        session = Session.objects.create(patient=patient, started_at=f"2026-0{day}-01T10:00:00+00:00")
        ComplaintScore.objects.create(session=session, complaint=complaint, pre_nrs=value)
        if target:
            Injection.objects.create(session=session, order=1, time=session.started_at, target=target,
                                     concentration_percent=1, volume_ml=1, verdict="ok", mg=10, cumulative_mg=10)
    return complaint


@pytest.fixture
def practice(clinic, patient):
    """Six complaints: three completers (two respond), two who stopped after one session,
    one with no pain at baseline (in neither population)."""
    course(patient, "shoulder", [8, 5], target="wheal")        # completer, responder (37.5 %)
    course(patient, "shoulder", [6, 5, 5], target="stellate")  # completer, not (17 %)
    course(patient, "lower_back", [4, 2], target="scar")       # completer, responder (50 %)
    course(patient, "knee", [5])                               # stopped after one session
    course(patient, "shoulder", [7], target="wheal")           # stopped after one session
    course(patient, "neck", [0, 0])                            # no baseline pain: no response possible
    return Clinic.objects.all()


def test_intention_to_treat_counts_dropouts_as_not_responding(practice):
    result = summary(practice)
    completers, itt = result["overall"], result["intention_to_treat"]["overall"]
    assert (completers["n"], completers["responders"], completers["proportion"]) == (3, 2, 0.6667)
    assert (itt["n"], itt["responders"], itt["proportion"]) == (5, 2, 0.4)


def test_both_proportions_carry_their_wilson_intervals(practice):
    result = summary(practice)
    low, high = wilson(2, 5)
    itt = result["intention_to_treat"]["overall"]
    assert (itt["ci_low"], itt["ci_high"]) == (round(low, 4), round(high, 4))
    assert (itt["ci_low"], itt["ci_high"]) == (0.1176, 0.7693)
    assert (result["overall"]["ci_low"], result["overall"]["ci_high"]) == (0.2077, 0.9385)


def test_groups_are_reported_in_both_populations(practice):
    result = summary(practice)
    itt = result["intention_to_treat"]
    regions = {g["group"]: (g["n"], g["responders"]) for g in itt["by_region"]}
    assert regions == {"knee": (1, 0), "lower_back": (1, 1), "shoulder": (3, 1)}
    # Completers list only groups with a completer, as before.
    assert {g["group"]: g["n"] for g in result["by_region"]} == {"lower_back": 1, "shoulder": 2}
    approaches = {g["group"]: (g["n"], g["responders"]) for g in itt["by_approach"]}
    assert approaches == {"ganglionic": (1, 0), "interference_field": (1, 1), "segmental": (3, 1)}
    bins = {g["group"]: g["n"] for g in itt["by_sessions"]}
    assert bins == {"1–2": 4, "3–5": 1, "6–12": 0, "13+": 0}
    assert {g["group"]: g["n"] for g in result["by_sessions"]}["1–2"] == 2


def test_an_empty_practice_reports_nothing_in_either_population(db):
    result = summary(Clinic.objects.all())
    assert result["overall"]["n"] == 0 and result["intention_to_treat"]["overall"]["n"] == 0
    assert result["intention_to_treat"]["overall"]["proportion"] is None


def test_the_summary_stays_one_query_per_figure_with_dropouts(clinic):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            summary(Clinic.objects.all())
        return len(ctx)

    course(make_patient(clinic), "shoulder", [8, 5])
    few = count()
    for i in range(10):
        course(make_patient(clinic, family=f"P{i}"), "knee", [6])
        course(make_patient(clinic, family=f"Q{i}"), "neck", [6, 3])
    assert count() == few


def test_cli_json_has_intention_to_treat_beside_completers(practice, capsys):
    call_command("outcomes", "summary", "--json")
    result = json.loads(capsys.readouterr().out)
    itt = result["intention_to_treat"]
    assert set(itt["overall"]) == {"group", "n", "responders", "proportion", "ci_low", "ci_high"}
    assert (result["overall"]["n"], itt["overall"]["n"]) == (3, 5)
    assert "not responding" in itt["population"] and "two sessions" in result["population"]


def test_side_by_side_pairs_each_group_and_fills_missing_completers():
    rows = side_by_side([{"group": "shoulder", "n": 2, "responders": 1}],
                        [{"group": "knee", "n": 1, "responders": 0}, {"group": "shoulder", "n": 3, "responders": 1}])
    assert [(r["group"], r["completers"]["n"], r["itt"]["n"]) for r in rows] == [("knee", 0, 1), ("shoulder", 2, 3)]


def test_the_practice_page_labels_both_populations(doctor_client, practice):
    html = doctor_client.get("/outcomes/").content.decode()
    assert "Completers" in html and "Intention to treat" in html
    assert "67 % responders (2 / 3;" in html and "40 % responders (2 / 5;" in html
    assert "95 % CI 12–77 %" in html
