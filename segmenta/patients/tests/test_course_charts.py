"""Course charts people can read: the NRS per session on the chart (and the reassessment
report) with dated x axes, a labelled value axis, before → after pairs, and a legend that
says what the green band and the marks mean."""

import datetime as dt
import re

from django.urls import reverse

from segmenta.knowledge.base import load
from segmenta.patients import models as pm
from segmenta.patients.plot import LABEL_ROOM, course_chart, important_band, labelled_slots, value_ticks
from segmenta.treatment.models import ComplaintScore, Injection, Session

MONDAY = dt.date(2025, 12, 1)


def weekly(count, start=MONDAY, value=lambda i: 8):
    return [{"when": start + dt.timedelta(weeks=i), "day": start + dt.timedelta(weeks=i), "value": value(i),
             "after": None, "marked": False} for i in range(count)]


def nrs_threshold():
    return load().get("instrument-threshold", "nrs-11")


def scored_course(patient, values, posts=None, injected=()):
    """Sessions a week apart from 1 September 2026, each scoring one complaint."""
    complaint = pm.Complaint.objects.create(patient=patient, description="Low back pain", onset="2020")
    for index, value in enumerate(values):
        session = Session.objects.create(patient=patient, started_at=f"2026-09-{1 + 7 * index:02d}T09:00:00+00:00")
        ComplaintScore.objects.create(session=session, complaint=complaint, pre_nrs=value,
                                      post_nrs=(posts or {}).get(index))
        if index in injected:
            Injection.objects.create(session=session, order=1, time=session.started_at, target="wheal",
                                     concentration_percent=1, volume_ml=1, verdict="ok", mg=10, cumulative_mg=10)
    return complaint


def chart_html(client, patient):
    html = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    start = html.index('<figure class="nrs-course">')
    return html[start:html.index("</figure>", start)]


# --- The geometry (pure) ----------------------------------------------------------------

def test_every_session_gets_a_tick_but_crowded_dates_are_thinned_so_labels_never_overlap():
    chart = course_chart(weekly(30), 0, 10)
    assert len(chart["slots"]) == 30
    xs = [t["x"] for t in chart["x_ticks"]]
    assert 2 < len(xs) < 30
    assert all(b - a >= LABEL_ROOM for a, b in zip(xs, xs[1:]))
    # The first and the last session are always dated.
    assert xs[0] == chart["slots"][0] and xs[-1] == chart["slots"][-1]


def test_a_few_sessions_are_all_dated():
    chart = course_chart(weekly(4), 0, 10)
    assert [t["when"] for t in chart["x_ticks"]] == [p["when"] for p in weekly(4)]


def test_two_sessions_on_one_day_carry_one_date_label():
    points = weekly(2) + weekly(1, start=MONDAY + dt.timedelta(weeks=1))
    chart = course_chart(points, 0, 10)
    assert [t["when"] for t in chart["x_ticks"]] == [MONDAY, MONDAY + dt.timedelta(weeks=1)]


def test_the_year_is_written_under_the_first_date_and_where_it_changes():
    chart = course_chart(weekly(6), 0, 10)  # 1 December 2025 to 5 January 2026
    years = [(t["when"].year, t["year"]) for t in chart["x_ticks"]]
    assert years[0] == (2025, True)
    assert [flag for year, flag in years if year == 2026][:1] == [True]
    assert sum(flag for _year, flag in years) == 2


def test_the_value_axis_runs_over_the_whole_scale_in_round_steps():
    assert value_ticks(0, 10) == [0, 2, 4, 6, 8, 10]
    assert value_ticks(0, 27) == [0, 5, 10, 15, 20, 25]
    assert value_ticks(1, 7) == [1, 2, 3, 4, 5, 6, 7]
    chart = course_chart(weekly(2, value=lambda i: 10 * i), 0, 10)
    top, bottom = chart["points"][1]["y"], chart["points"][0]["y"]
    assert (top, bottom) == (chart["top"], chart["bottom"])


def test_dates_are_chosen_from_the_slots_only():
    assert labelled_slots([0, 10, 20, 30, 40, 50, 60, 70], list(range(8)), room=25) == [0, 3, 7]


def test_the_band_of_an_important_improvement_comes_from_the_knowledge_base():
    threshold = nrs_threshold()
    share = threshold["important_change"]["percent"] / 100
    band = important_band(8, threshold, 0, 10)
    assert (band["low"], band["high"]) == (0, round(8 * (1 - share), 2))
    assert band["percent"] == threshold["important_change"]["percent"]


def test_a_scale_where_higher_is_better_shades_above_the_first_score():
    psfs = load().get("instrument-threshold", "psfs")
    band = important_band(3, psfs, 0, 10)
    assert (band["low"], band["high"], band["better"]) == (3 + psfs["important_change"]["points"], 10, "higher")


def test_no_band_without_a_direction_or_a_threshold_or_room_to_improve():
    assert important_band(8, {"important_change": {"percent": 30}}, 0, 10) is None
    assert important_band(8, {"better": "lower"}, 0, 10) is None
    assert important_band(0, nrs_threshold(), 0, 10) is None


# --- On the chart -------------------------------------------------------------------------

def test_the_nrs_chart_has_a_dated_x_axis_and_a_labelled_nrs_axis(doctor_client, patient):
    scored_course(patient, [8, 6, 5])
    figure = chart_html(doctor_client, patient)
    dates = re.findall(r'class="tick date">([^<]+)</text>', figure)
    assert dates == ["1 Sep", "8 Sep", "15 Sep"]
    assert re.findall(r'class="tick year">([^<]+)</text>', figure) == ["2026"]
    assert re.findall(r'class="tick value">([^<]+)</text>', figure) == ["0", "2", "4", "6", "8", "10"]
    assert 'class="axis-title">NRS (0–10)</text>' in figure


def test_before_and_after_each_session_are_drawn_as_a_pair(doctor_client, patient):
    scored_course(patient, [8, 6, 5], posts={0: 2, 2: 1}, injected=(0, 1))
    figure = chart_html(doctor_client, patient)
    assert figure.count('class="before"') == 3 + 1  # three sessions and the legend's key
    assert figure.count('class="before-after"') == 2 + 1
    assert figure.count('class="marked"') == 2 + 1
    assert "2026-09-01: 8 → 2" in figure


def test_the_legend_says_what_the_green_band_and_the_marks_mean(doctor_client, patient):
    scored_course(patient, [8, 6, 5], posts={0: 2}, injected=(0,))
    figure = chart_html(doctor_client, patient)
    percent = nrs_threshold()["important_change"]["percent"]
    limit = f"{8 * (1 - percent / 100):g}"
    assert (f"Green band: {limit} or lower, at least {percent} % below the first score (8) — an important "
            "improvement.") in figure
    assert "IMMPACT" in figure  # the source, named from the knowledge base
    assert reverse("knowledge:entry", args=["instrument-threshold", "nrs-11"]) in figure
    for meaning in ("Pain before the session (the course)", "Pain right after it: before → after",
                    "Session with injections"):
        assert meaning in figure


def test_screen_readers_get_a_title_a_description_and_the_values_as_a_table(doctor_client, patient):
    complaint = scored_course(patient, [8, 6], posts={1: 3})
    figure = chart_html(doctor_client, patient)
    assert f'aria-labelledby="nrs-course-{complaint.pk}-title nrs-course-{complaint.pk}-desc"' in figure
    assert "2 scored sessions from 2026-09-01 to 2026-09-08: NRS 8 before the first, 6 before the latest." in figure
    rows = re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td>", figure)
    assert rows == [("2026-09-01", "8", "—"), ("2026-09-08", "6", "3")]


def test_a_first_score_of_zero_gets_no_band_and_the_legend_says_why(doctor_client, patient):
    scored_course(patient, [0, 1])
    figure = chart_html(doctor_client, patient)
    assert 'class="important-band"' not in figure.split('<ul class="chart-legend">')[0]
    assert "No green band: the first score (0) leaves no room for an important improvement." in figure


def test_the_chart_is_drawn_with_plain_numbers_in_a_language_that_writes_decimal_commas(client, doctor, patient):
    from segmenta.conftest import login_verified

    scored_course(patient, [8, 6, 5, 7], posts={0: 2, 2: 1}, injected=(0, 1))
    client = login_verified(client, doctor)
    html = client.get(reverse("patients:detail", args=[patient.pk]), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<html lang="de"' in html
    start = html.index('<svg viewBox="0 0', html.index('<figure class="nrs-course">'))
    svg = html[start:html.index("</svg>", start)]
    coordinates = re.findall(r'\b(?:x|y|x1|y1|x2|y2|cx|cy|width|height)="([^"]*)"', svg)
    assert len(coordinates) > 30
    assert all(re.fullmatch(r"-?\d+(\.\d+)?", value) for value in coordinates), coordinates
