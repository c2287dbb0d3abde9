"""The chart page keeps its body map and dental chart, drawn, under the patient's stamp
(segmenta/patients/kept.py): a chart read again draws them no more, and the next read after
any change to the chart, in another language or with another knowledge base draws them anew."""

import re

import pytest
from django.db import connection
from django.urls import reverse

from segmenta.patients import models as pm
from segmenta.patients import views
from segmenta.patients.tests.drawn import count_draws, without_stamps
from segmenta.treatment.models import Injection, Session

pytestmark = pytest.mark.django_db


@pytest.fixture
def draws(monkeypatch):
    """How many times the chart page worked its map out."""
    return count_draws(monkeypatch, "body_map_marks", views._maps_drawn)


def page(client, patient, **headers):
    return client.get(reverse("patients:detail", args=[patient.pk]), **headers).content.decode()


def segment(html, choir):
    """The chart map's link of one segment: its class and its tooltip."""
    found = re.search(rf'\?segment={choir}" class="seg-link"[^>]*><path [^>]*class="([^"]*)"[^>]*><title>([^<]*)</title>',
                      html)
    return found.group(1), found.group(2)


def tooth(html, number):
    return re.search(rf'<a class="tooth[^"]*"[^>]*data-tooth="{number}"[^>]*>.*?</a>', html).group(0)


def test_a_chart_read_again_shows_the_same_map_without_drawing_it(doctor_client, patient, draws):
    pm.HistoryItem.objects.create(patient=patient, kind="scar", description="Appendectomy",
                                  regions=[{"choir": 116, "side": "right"}])
    first = page(doctor_client, patient)
    second = page(doctor_client, patient)
    assert len(draws) == 1
    assert segment(second, 116) == segment(first, 116)
    assert "has-history" in segment(first, 116)[0] and "• Appendectomy" in segment(first, 116)[1]


def test_every_kind_of_change_shows_in_the_next_read(doctor_client, patient, draws):
    item = pm.HistoryItem.objects.create(patient=patient, kind="scar", description="Appendectomy",
                                         regions=[{"choir": 116, "side": "right"}])
    assert "has-history" in segment(page(doctor_client, patient), 116)[0]
    pm.HistoryItem.objects.filter(pk=item.pk).update(description="Hernia repair")  # no save(), no signal
    assert "• Hernia repair" in segment(page(doctor_client, patient), 116)[1]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE patients_historyitem SET tooth = '36' WHERE id = %s", [item.pk])
    assert "has-items" in tooth(page(doctor_client, patient), 36)
    session = Session.objects.create(patient=patient, started_at="2026-09-20T09:00:00+00:00")
    Injection.objects.create(session=session, order=1, time=session.started_at, target="wheal",
                             regions=[{"choir": 107, "side": "right"}], concentration_percent=1, volume_ml=1,
                             verdict="ok", mg=10, cumulative_mg=10)
    html = page(doctor_client, patient)
    assert "has-injection" in segment(html, 107)[0] and "injection:" in segment(html, 107)[1]
    pm.HistoryItem.objects.filter(pk=item.pk).update(entered_in_error_at="2026-09-21T09:00:00+00:00")
    html = page(doctor_client, patient)
    assert "has-history" not in segment(html, 116)[0] and "has-items" not in tooth(html, 36)
    assert len(draws) == 5


def test_each_language_has_its_own_drawing(doctor_client, patient, draws):
    pm.HistoryItem.objects.create(patient=patient, kind="scar", description="Appendectomy",
                                  regions=[{"choir": 116, "side": "right"}])
    english = page(doctor_client, patient)
    german = page(doctor_client, patient, HTTP_ACCEPT_LANGUAGE="de")
    assert segment(english, 116)[1].startswith("Abdomen, right (116)")
    assert segment(german, 116)[1].startswith("Bauch, rechts (116)")
    assert segment(page(doctor_client, patient), 116) == segment(english, 116)
    assert len(draws) == 2


def test_another_knowledge_base_draws_the_map_anew(doctor_client, patient, draws, monkeypatch):
    page(doctor_client, patient)
    real = views.knowledge_base

    class Newer:
        version = real().version + "-newer"

    monkeypatch.setattr(views, "knowledge_base", lambda: Newer)
    page(doctor_client, patient)
    page(doctor_client, patient)
    assert len(draws) == 2


def test_without_stamps_nothing_is_kept(doctor_client, patient, draws):
    with without_stamps():
        page(doctor_client, patient)
        page(doctor_client, patient)
    assert len(draws) == 2
