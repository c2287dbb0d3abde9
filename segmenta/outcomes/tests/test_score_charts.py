"""Questionnaire score charts and the reassessment report's NRS chart: dated x axes, the
instrument's own range on the y axis, and a legend that says what the green band means."""

import datetime as dt
import re

from django.urls import reverse
from django.utils import timezone

from segmenta.knowledge.base import load
from segmenta.outcomes.models import Response
from segmenta.patients import models as pm
from segmenta.treatment.models import ComplaintScore, Session, TreatmentPlan


def answered(patient, instrument, totals, start=dt.datetime(2026, 3, 2, 10, 0)):
    """Answers a fortnight apart."""
    for index, total in enumerate(totals):
        Response.objects.create(patient=patient, instrument=instrument, resource={}, total=total,
                                answered_at=timezone.make_aware(start + dt.timedelta(weeks=2 * index)))


def figure_of(client, patient, title):
    html = client.get(reverse("outcomes:questionnaires", args=[patient.pk])).content.decode()
    start = html.index(f"<h3>{title}</h3>")
    return html[start:html.index("</figure>", start)]


def test_scores_are_drawn_over_their_dates_on_the_instruments_range(doctor_client, patient):
    answered(patient, "phq-9", [20, 14, 9])
    figure = figure_of(doctor_client, patient, "PHQ-9")
    assert re.findall(r'class="tick date">([^<]+)</text>', figure) == ["2 Mar", "16 Mar", "30 Mar"]
    assert re.findall(r'class="tick year">([^<]+)</text>', figure) == ["2026"]
    assert re.findall(r'class="tick value">([^<]+)</text>', figure) == ["0", "5", "10", "15", "20", "25"]
    assert 'class="axis-title">Score (0–27)</text>' in figure
    assert "Answered 3 times from 2026-03-02 to 2026-03-30: 20 the first time, 9 the latest" in figure


def test_the_legend_says_what_the_green_band_means_with_the_knowledge_bases_figure(doctor_client, patient):
    answered(patient, "phq-9", [20, 14])
    figure = figure_of(doctor_client, patient, "PHQ-9")
    percent = load().get("instrument-threshold", "phq-9")["important_change"]["percent"]
    limit = f"{20 * (1 - percent / 100):g}"
    assert f"Green band: {limit} or lower, at least {percent} % below the first score (20)" in figure
    assert 'class="important-band"' in figure
    assert "Score, each time it was answered" in figure


def test_where_a_higher_score_is_better_the_band_lies_above_the_first_score(doctor_client, patient):
    answered(patient, "psfs", [3, 4.5, 6])
    figure = figure_of(doctor_client, patient, "Patient-specific functional scale (PSFS)")
    points = load().get("instrument-threshold", "psfs")["important_change"]["points"]
    assert (f"Green band: {3 + points:g} or higher, at least {points:g} points above the first score (3)"
            in figure)
    assert 'class="axis-title">Score (0–10)</text>' in figure


def test_a_questionnaire_without_an_important_change_gets_no_band_and_says_so(doctor_client, patient):
    answered(patient, "pgic", [4, 2])
    figure = figure_of(doctor_client, patient, "Patient global impression of change (PGIC)")
    assert 'class="important-band"' not in figure.split('<ul class="chart-legend">')[0]
    assert "No green band: the knowledge base gives no important change for this scale" in figure
    assert 'class="axis-title">Score (1–7)</text>' in figure


def test_the_reassessment_report_draws_the_dated_nrs_chart_with_its_legend(doctor_client, patient):
    complaint = pm.Complaint.objects.create(patient=patient, description="Right shoulder pain", onset="2019")
    plan = TreatmentPlan.objects.create(patient=patient, complaint=complaint, goals="NRS below 3")
    for month, (before, after) in enumerate([(8, 4), (6, 3), (5, None)], start=1):
        session = Session.objects.create(patient=patient, plan=plan, started_at=f"2026-0{month}-05T10:00:00+00:00")
        ComplaintScore.objects.create(session=session, complaint=complaint, pre_nrs=before, post_nrs=after)
    html = doctor_client.get(reverse("outcomes:reassessment", args=[plan.pk])).content.decode()
    assert re.findall(r'class="tick date">([^<]+)</text>', html) == ["5 Jan", "5 Feb", "5 Mar"]
    assert 'class="axis-title">NRS (0–10)</text>' in html
    assert html.count('class="before-after"') == 2 + 1  # two pairs and the legend's key
    assert "Green band:" in html and "Pain right after it: before → after" in html


def test_the_answers_table_gives_bands_in_words_and_who_entered_them_by_name(doctor_client, patient, doctor):
    doctor.first_name, doctor.last_name = "Dana", "Doktor"
    doctor.save()
    Response.objects.create(patient=patient, instrument="phq-9", resource={}, total=16, band="moderately_severe",
                            entered_by=doctor, answered_at=timezone.make_aware(dt.datetime(2026, 3, 2, 10, 0)))
    html = doctor_client.get(reverse("outcomes:questionnaires", args=[patient.pk])).content.decode()
    row = re.search(r"<tbody><tr>(.*?)</tr>", html, re.S).group(1)
    assert "moderately severe" in row and "moderately_severe" not in row and "Dana Doktor" in row


def test_german_and_spanish_charts_write_their_own_dates_months_and_decimal_commas(doctor_client, patient):
    answered(patient, "psfs", [3, 4.5, 6.5])
    pages = {}
    for language in ("de", "es"):
        html = doctor_client.get(reverse("outcomes:questionnaires", args=[patient.pk]),
                                 HTTP_ACCEPT_LANGUAGE=language).content.decode()
        start = html.index('<figure class="prom-course">')
        pages[language] = html[start:html.index("</figure>", start)]
    de, es = pages["de"], pages["es"]
    assert re.findall(r'class="tick date">([^<]+)</text>', de) == ["2. Mär", "16. Mär", "30. Mär"]
    assert re.findall(r'class="tick date">([^<]+)</text>', es) == ["2 mar", "16 mar", "30 mar"]
    for figure, day in ((de, "16.03.2026"), (es, "16/03/2026")):
        assert f"<title>{day}: 4,5</title>" in figure  # the point's tooltip
        text = re.sub(r"<[^>]+>", " ", figure)  # what is read: not the drawing's coordinates
        assert "4.5" not in text and "6.5" not in text and "6,5" in text
        assert re.findall(r'class="tick value">([^<]+)</text>', figure) == ["0", "2", "4", "6", "8", "10"]
