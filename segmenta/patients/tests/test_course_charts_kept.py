"""The chart page keeps its course charts, drawn, under the patient's stamp
(segmenta/patients/kept.py): a chart read again draws them no more, and the next read after
any change to the chart, in another language or another time zone draws them anew."""

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from segmenta.patients import models as pm
from segmenta.patients import stamps, views
from segmenta.patients.tests.drawn import count_draws, without_stamps
from segmenta.patients.tests.test_course_charts import chart_html, scored_course
from segmenta.treatment.models import ComplaintScore, Session

pytestmark = pytest.mark.django_db


@pytest.fixture
def draws(monkeypatch):
    """How many times the chart page worked its courses out."""
    return count_draws(monkeypatch, "nrs_courses", views._courses_drawn)


def test_a_chart_read_again_shows_the_same_courses_without_drawing_them(doctor_client, patient, draws):
    scored_course(patient, [8, 6, 5], posts={1: 3})
    first = chart_html(doctor_client, patient)
    second = chart_html(doctor_client, patient)
    assert second == first and len(draws) == 1
    assert "<td>8</td><td>—</td>" in first and "<td>6</td><td>3</td>" in first


def test_every_kind_of_change_shows_in_the_next_read(doctor_client, patient, draws):
    complaint = scored_course(patient, [8, 6])
    chart_html(doctor_client, patient)
    session = Session.objects.create(patient=patient, started_at="2026-09-20T09:00:00+00:00")
    ComplaintScore.objects.create(session=session, complaint=complaint, pre_nrs=2)
    assert "<td>2</td>" in chart_html(doctor_client, patient)
    ComplaintScore.objects.filter(session=session).update(pre_nrs=1)  # no save(), no signal
    assert "<td>1</td>" in chart_html(doctor_client, patient)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE patients_complaint SET description = 'Neck pain' WHERE id = %s", [complaint.pk])
    assert "NRS course: Neck pain" in chart_html(doctor_client, patient)
    assert len(draws) == 4


def test_each_language_and_time_zone_has_its_own_drawing(doctor_client, patient, draws, settings):
    complaint = scored_course(patient, [])
    # Late in the evening in Los Angeles is the next morning in Berlin.
    late = Session.objects.create(patient=patient, started_at="2026-10-05T23:30:00-07:00")
    ComplaintScore.objects.create(session=late, complaint=complaint, pre_nrs=4)
    english = chart_html(doctor_client, patient)
    german = doctor_client.get(reverse("patients:detail", args=[patient.pk]), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "NRS course: Low back pain" in english and "NRS-Verlauf: Low back pain" in german
    with timezone.override("America/Los_Angeles"):
        west = chart_html(doctor_client, patient)
    with timezone.override("Europe/Berlin"):
        east = chart_html(doctor_client, patient)
    assert "<td>2026-10-05</td>" in west and "<td>2026-10-06</td>" in east
    # English, German, Los Angeles; Berlin is the zone the English chart was drawn in.
    assert settings.TIME_ZONE == "Europe/Berlin" and len(draws) == 3


def test_a_change_made_while_a_chart_is_read_shows_in_the_next_read(doctor_client, patient, draws, monkeypatch):
    """The stamp is read before the lists: a change committed after the lists were read
    (another request's) renews the stamp, so the drawing made from the older lists is kept
    under the older stamp and never shown again."""
    scored_course(patient, [8, 6])
    real = views._with_chart_lists

    def then_changed(chart_patient):
        loaded = real(chart_patient)
        pm.Complaint.objects.filter(patient=patient).update(description="Neck pain")
        return loaded

    monkeypatch.setattr(views, "_with_chart_lists", then_changed)
    assert "NRS course: Low back pain" in chart_html(doctor_client, patient)  # drawn from the lists as read
    monkeypatch.setattr(views, "_with_chart_lists", real)
    assert "NRS course: Neck pain" in chart_html(doctor_client, patient)
    assert len(draws) == 2


def test_without_live_triggers_nothing_is_kept(doctor_client, patient, draws, monkeypatch):
    """Stamps that no trigger renews any more (triggers dropped by hand) are never trusted."""
    scored_course(patient, [8, 6])
    monkeypatch.setattr(stamps, "live", lambda connection: False)
    chart_html(doctor_client, patient)
    chart_html(doctor_client, patient)
    assert len(draws) == 2


def test_without_stamps_nothing_is_kept(doctor_client, patient, draws):
    scored_course(patient, [8, 6])
    with without_stamps():
        chart_html(doctor_client, patient)
        chart_html(doctor_client, patient)
    assert len(draws) == 2


def test_kept_values_are_bounded_by_count_and_by_weight():
    from segmenta.patients.kept import Kept

    kept = Kept(3, budget=10)
    built = []

    def value(text):
        return lambda: built.append(text) or text

    for key, text in [("a", "aaaa"), ("b", "bbb"), ("c", "cc")]:
        kept.get(key, value(text))
    kept.get("a", value("never"))  # kept; now the most recently used
    kept.get("d", value("d"))  # four values: the least recently used ("b") goes
    assert kept.get("b", value("bbb")) == "bbb" and built == ["aaaa", "bbb", "cc", "d", "bbb"]
    kept.get("e", value("eeeeeeee"))  # 8 of the budget of 10: all but it and ... go
    assert kept.get("e", value("x")) == "eeeeeeee" and kept._total <= 10
    assert kept.get("big", value("x" * 11)) == "x" * 11  # heavier than the whole budget: not kept
    assert "big" not in kept._values and kept.get(None, value("n")) == "n" and None not in kept._values
    assert kept.get("none", lambda: None) is None and "none" not in kept._values
