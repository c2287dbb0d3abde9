"""The injection list shows the dose budget as a gauge per drug and the live check says what
is left after the injection being entered: both the safety engine's own numbers (its budget
over every session in the rolling window), never a second copy of the limits."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from segmenta.conftest import complete_chart
from segmenta.patients import models as pm
from segmenta.treatment.models import Injection, Session
from segmenta.treatment.sessions import strip_facts
from segmenta.treatment.tests.posting import form_data


@pytest.fixture
def today(patient, doctor):
    pm.WeightMeasurement.objects.create(patient=patient, date=timezone.localdate(), weight_kg=50)
    complete_chart(patient, doctor)
    started = timezone.now() - timedelta(minutes=30)
    earlier = Session.objects.create(patient=patient, started_at=started - timedelta(hours=3), practitioner=doctor)
    Injection.objects.create(session=earlier, order=1, time=earlier.started_at, target="paravertebral",
                             concentration_percent=1, volume_ml=10, verdict="ok", mg=100, cumulative_mg=100)
    session = Session.objects.create(patient=patient, started_at=started, practitioner=doctor)
    Injection.objects.create(session=session, order=1, time=started, target="wheal", concentration_percent=1,
                             volume_ml=0.5, verdict="ok", mg=5, cumulative_mg=5)
    return session


def meters(html):
    return {drug: (float(low), float(high)) for drug, high, low in
            re.findall(r'<meter id="gauge-(\w+)" min="0" max="([\d.]+)" value="([\d.]+)"', html)}


def test_the_gauge_shows_what_the_engine_counts_in_the_window(doctor_client, today, patient):
    html = doctor_client.get(reverse("treatment:session", args=[today.pk])).content.decode()
    budget = strip_facts(patient)["budget"]
    procaine = budget["drugs"]["procaine"]
    assert budget["used_mg"] == 105  # the other session's 100 mg count too
    assert meters(html)["procaine"] == (round(procaine["limit_mg"] - procaine["left_mg"], 1), procaine["limit_mg"])
    lidocaine = budget["drugs"]["lidocaine"]
    assert meters(html)["lidocaine"] == (round(lidocaine["limit_mg"] - lidocaine["left_mg"], 1), lidocaine["limit_mg"])
    assert f'{procaine["left_mg"]:g} mg left' in html


def test_a_session_charted_afterwards_shows_its_own_window(doctor_client, patient, doctor):
    pm.WeightMeasurement.objects.create(patient=patient, date="2026-01-01", weight_kg=50)
    old = Session.objects.create(patient=patient, started_at="2026-01-10T10:00:00+01:00", practitioner=doctor)
    Injection.objects.create(session=old, order=1, time=old.started_at, target="paravertebral",
                             concentration_percent=1, volume_ml=10, verdict="ok", mg=100, cumulative_mg=100)
    html = doctor_client.get(reverse("treatment:session", args=[old.pk])).content.decode()
    assert meters(html)["procaine"][0] == 100 and "up to 2026-01-10 10:00" in html
    # The strip above says the same, not the 0 mg of the last 24 hours from now.
    strip = re.search(r'<div class="dose[^"]*">(.*?)</div>', html, re.S).group(1)
    assert "Dose, 24 h up to 2026-01-10 10:00" in strip and "100 mg used" in strip


def test_a_session_in_its_window_shows_the_strip_of_now(doctor_client, today):
    html = doctor_client.get(reverse("treatment:session", args=[today.pk])).content.decode()
    strip = re.search(r'<div class="dose[^"]*">(.*?)</div>', html, re.S).group(1)
    assert "Dose, last 24 h" in strip and "105 mg used" in strip


def test_the_live_check_says_what_is_left_after_this_injection(doctor_client, today, patient):
    when = timezone.localtime().replace(second=0, microsecond=0)
    response = doctor_client.post(reverse("treatment:injection_check", args=[today.pk]), form_data("injection", {
        "time": when.strftime("%Y-%m-%dT%H:%M"), "target": "paravertebral", "drug": "procaine",
        "concentration_percent": "1", "volume_ml": "5", "map_regions": "[]", "aspiration_done": "on"}))
    preview = response.context["preview"]
    limit = strip_facts(patient)["budget"]["drugs"]["procaine"]["limit_mg"]
    # 100 mg elsewhere, 5 mg earlier in this session, 50 mg now: the engine's budget leaves the rest.
    assert preview["budget"]["used_mg"] == 155 and preview["budget"]["drugs"]["procaine"]["left_mg"] == limit - 155
    html = response.content.decode()
    assert f"Procaine {limit - 155:g} of {limit:g} mg" in html and "50 mg" in html and "55 mg in this session" in html
