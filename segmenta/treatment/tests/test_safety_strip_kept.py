"""The safety strip's drawing is kept under its facts, language and time zone: any change of
a fact, and the same facts in another language or time zone, are drawn anew."""

import datetime
import zoneinfo

import pytest
from django.utils import timezone, translation

from segmenta.conftest import make_patient
from segmenta.treatment.sessions import strip_facts
from segmenta.treatment.templatetags import safety_tags


@pytest.fixture
def facts(clinic):
    safety_tags._DRAWN.clear()
    return strip_facts(make_patient(clinic, sex="male"))


def test_each_changed_fact_is_drawn_anew(facts):
    with translation.override("en"):
        first = safety_tags.safety_strip(None, facts)
        assert safety_tags.safety_strip(None, dict(facts)) is first  # the same facts: kept
        assert "kg" not in first
        weighed = safety_tags.safety_strip(None, {**facts, "weight_kg": 71.5})
        assert "71.5 kg" in weighed
        thinner = {"name": "Apixaban", "class": "anticoagulant", "code": "anticoagulant", "held": True,
                   "hold_hours": 72, "why": None, "last_dose": None}
        assert "Apixaban" in safety_tags.safety_strip(None, {**facts, "blood_thinners": [thinner]})
        assert "Apixaban" not in safety_tags.safety_strip(None, facts)
    with translation.override("de"):
        assert "Gewicht" in safety_tags.safety_strip(None, facts)


def test_a_date_is_written_in_the_time_zone_of_the_page(facts):
    dose = datetime.datetime(2026, 3, 1, 23, 30, tzinfo=datetime.UTC)
    thinner = {"name": "Apixaban", "class": "anticoagulant", "code": "anticoagulant", "held": True,
               "hold_hours": 72, "why": None, "last_dose": dose}
    shown = {**facts, "blood_thinners": [thinner]}
    with translation.override("en"):
        with timezone.override(zoneinfo.ZoneInfo("UTC")):
            utc = safety_tags.safety_strip(None, shown)
        with timezone.override(zoneinfo.ZoneInfo("Europe/Berlin")):
            berlin = safety_tags.safety_strip(None, shown)
    assert "last dose 2026-03-01 23:30" in utc and "last dose 2026-03-02 00:30" in berlin

