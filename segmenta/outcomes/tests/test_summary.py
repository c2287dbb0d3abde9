import json

from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from segmenta.accounts.models import Clinic
from segmenta.conftest import make_patient
from segmenta.patients import models as pm
from segmenta.outcomes.summary import summary
from segmenta.treatment.models import AdverseEvent, ComplaintScore, Injection, Session


def course(patient, region, nrs, target=None, event=False):
    complaint = pm.Complaint.objects.create(patient=patient, description="pain", regions=[{"region": region}])
    for day, value in enumerate(nrs, start=1):
        session = Session.objects.create(patient=patient, started_at=f"2026-0{day}-01T10:00:00+00:00")
        ComplaintScore.objects.create(session=session, complaint=complaint, pre_nrs=value)
        if target:
            Injection.objects.create(session=session, order=1, time=session.started_at, target=target,
                                     concentration_percent=1, volume_ml=1, verdict="ok", mg=10, cumulative_mg=10)
        if event and day == 1:
            AdverseEvent.objects.create(session=session, kind="vasovagal")
    return complaint


def test_summary_counts_responders_by_region_approach_and_sessions(clinic, patient):
    course(patient, "shoulder", [8, 5], target="wheal")          # 37.5 % better: responder
    course(patient, "shoulder", [6, 5, 5], target="stellate")    # 17 %: not
    course(patient, "lower_back", [4, 2], target="scar")         # 50 %: responder
    course(patient, "knee", [5])                                 # one session: not counted
    result = summary(Clinic.objects.all())
    assert result["overall"]["n"] == 3 and result["overall"]["responders"] == 2
    regions = {g["group"]: (g["n"], g["responders"]) for g in result["by_region"]}
    assert regions == {"lower_back": (1, 1), "shoulder": (2, 1)}
    approaches = {g["group"]: (g["n"], g["responders"]) for g in result["by_approach"]}
    assert approaches == {"ganglionic": (1, 0), "interference_field": (1, 1), "segmental": (1, 1)}
    bins = {g["group"]: (g["n"], g["responders"]) for g in result["by_sessions"]}
    assert bins["1–2"] == (2, 2) and bins["3–5"] == (1, 0)


def test_adverse_event_and_huneke_rates(clinic, patient):
    course(patient, "shoulder", [8, 5], event=True)
    tooth = pm.HistoryItem.objects.create(patient=patient, kind="tooth", tooth="38", description="x")
    session = Session.objects.first()
    for relief, hours in ((100, 10), (100, 5), (50, 30)):
        Injection.objects.create(session=session, order=2, time=session.started_at, target="tooth",
                                 concentration_percent=1, volume_ml=1, verdict="ok", mg=10, cumulative_mg=10,
                                 history_item=tooth, relief_percent=relief, onset_seconds=5, duration_hours=hours)
    result = summary(Clinic.objects.all())
    assert (result["adverse_events"]["n"], result["adverse_events"]["responders"]) == (2, 1)
    assert (result["huneke"]["n"], result["huneke"]["responders"]) == (3, 1)


def test_summary_stays_within_its_clinic(clinic, other_clinic, patient):
    course(patient, "shoulder", [8, 5])
    course(make_patient(other_clinic), "knee", [8, 2])
    assert summary(Clinic.objects.filter(pk=clinic.pk))["overall"]["n"] == 1


def test_summary_query_count_does_not_grow_with_patients(clinic):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            summary(Clinic.objects.all())
        return len(ctx)

    course(make_patient(clinic), "shoulder", [8, 5])
    few = count()
    for i in range(20):
        course(make_patient(clinic, family=f"P{i}"), "knee", [6, 3, 2], target="wheal")
    assert count() == few


def test_cli_prints_groups_with_n_responders_proportion_and_interval(clinic, patient, capsys):
    course(patient, "shoulder", [8, 5])
    call_command("outcomes", "summary", "--json")
    result = json.loads(capsys.readouterr().out)
    assert set(result["overall"]) == {"group", "n", "responders", "proportion", "ci_low", "ci_high"}
    assert result["overall"]["proportion"] == 1.0


def test_synthetic_practice_generator_feeds_the_summary(db, capsys):
    call_command("demo", "--synthetic", "12")
    assert "12 patients, 240 sessions" in capsys.readouterr().out
    result = summary(Clinic.objects.filter(name="Synthetic Practice"))
    assert result["overall"]["n"] == 12
    assert sum(g["n"] for g in result["by_approach"]) == 12
    assert result["adverse_events"]["n"] == 240


def test_sessions_to_response_counts_until_the_first_30_percent_drop(clinic, patient):
    course(patient, "shoulder", [8, 7, 5, 4])   # responds at session 3
    course(patient, "knee", [6, 4])             # responds at session 2
    course(patient, "neck", [6, 6])             # no response
    result = summary(Clinic.objects.all())["sessions_to_response"]
    assert result["n"] == 2 and result["mean"] == 2.5
    assert {b["sessions"]: b["n"] for b in result["bins"]} == {"1–2": 1, "3–5": 1, "6–12": 0, "13+": 0}


def test_practice_page_for_practitioners_not_assistants(doctor_client, assistant, patient):
    from segmenta.conftest import login_verified

    course(patient, "shoulder", [8, 5])
    html = doctor_client.get("/outcomes/").content.decode()
    assert "Practice outcomes" in html and "Shoulder" in html and "cannot show what caused" in html
    assert login_verified(__import__("django.test", fromlist=["Client"]).Client(), assistant).get(
        "/outcomes/").status_code == 404


def test_body_map_segments_count_under_their_region(clinic, patient):
    complaint = course(patient, "shoulder", [8, 5])
    complaint.regions = [{"choir": 107, "side": "right"}]
    complaint.save()
    course(patient, "shoulder", [8, 7])
    regions = {g["group"]: (g["n"], g["responders"]) for g in summary(Clinic.objects.all())["by_region"]}
    assert regions == {"shoulder": (2, 1)}


def test_the_interval_bar_spans_low_to_high():
    from segmenta.outcomes.templatetags.outcome_tags import ci_bar

    bar = ci_bar({"n": 12, "proportion": 0.6667, "ci_low": 0.3906, "ci_high": 0.8619})
    assert (bar["low"], bar["width"], bar["point"]) == (39.1, 47.1, 66.7)
