"""A browser's date input takes only ISO values (2026-11-28): on a German or Spanish page a
date written as the page writes dates (28.11.2026) would show an empty field, and saving the
form could clear the stored date. Every date and date-time input of every page stays ISO."""

import re

import pytest
from django.utils import timezone, translation

from segmenta.assessment.forms import ScreeningForm
from segmenta.audit.forms import AuditSearchForm
from segmenta.conftest import login_verified, make_patient
from segmenta.patients.tests.test_query_counts import fill_chart
from segmenta.tests.pages import chart_items, readable_urls
from segmenta.treatment.models import Session

INPUT = re.compile(r'<input[^>]*type="(date|datetime-local)"[^>]*>')
VALUE = re.compile(r'value="([^"]*)"')
ISO = {"date": re.compile(r"\d{4}-\d{2}-\d{2}"), "datetime-local": re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")}


def bad_inputs(html):
    found = []
    for match in INPUT.finditer(html):
        value = VALUE.search(match[0])
        if value and value[1] and not ISO[match[1]].fullmatch(value[1]):
            found.append(match[0])
    return found


@pytest.mark.parametrize("language", ["de", "es"])
def test_the_forms_built_outside_the_models_write_iso_dates(db, language):
    today = timezone.localdate()
    with translation.override(language):
        screening = ScreeningForm(initial={"date": today}, groups=[]).as_p()
        audit = AuditSearchForm(initial={"date_from": today, "date_to": today}).as_p()
    assert bad_inputs(screening + audit) == []
    assert today.isoformat() in screening and today.isoformat() in audit


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["de", "es"])
def test_every_pages_date_inputs_are_iso_in_german_and_spanish(client, doctor, clinic, language):
    patient = make_patient(clinic)
    fill_chart(patient, 2)
    session, plan = Session.objects.filter(patient=patient).first(), patient.plans.first()
    login_verified(client, doctor)
    seen = 0
    for url in readable_urls(patient, session, plan, chart_items(patient)):
        if url.startswith("/api/"):
            continue
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        seen += bool(INPUT.search(html))
        assert bad_inputs(html) == [], url
    assert seen >= 5
