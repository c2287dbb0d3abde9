"""A complaint's onset and a history item's date are partial dates ("2019-06", "1998"): the
chart and the red-flag screening write them as the page's language writes dates (Juni 2019,
14.03.2015 in German), English pages keep them as entered."""

import pytest
from django.urls import reverse
from django.utils import translation

from segmenta.patients import models as m

BROWSER = {"en": "en-GB,en;q=0.9", "de": "de-DE,de;q=0.9", "es": "es-ES,es;q=0.9"}


@pytest.mark.parametrize("language, onset, full, year", [
    ("de", "seit Juni 2019", "14.03.2015", "(1998)"),
    ("es", "desde junio de 2019", "14/03/2015", "(1998)"),
    ("en", "since 2019-06", "2015-03-14", "(1998)"),
])
def test_the_chart_writes_partial_dates_in_the_pages_language(doctor_client, patient, language, onset, full, year):
    complaint = m.Complaint.objects.create(patient=patient, description="Schulterschmerz", onset="2019-06")
    m.HistoryItem.objects.create(patient=patient, kind="scar", description="Narbe am Knie", date="2015-03-14")
    m.HistoryItem.objects.create(patient=patient, kind="tooth", tooth="38", description="Weisheitszahn", date="1998")
    html = doctor_client.get(reverse("patients:detail", args=[patient.pk]),
                             HTTP_ACCEPT_LANGUAGE=BROWSER[language]).content.decode()
    assert onset in html and full in html
    if language != "en":
        assert "2019-06" not in html and "2015-03-14" not in html
    screening = doctor_client.get(reverse("assessment:screening", args=[patient.pk, complaint.pk]),
                                  HTTP_ACCEPT_LANGUAGE=BROWSER[language]).content.decode()
    assert onset in screening
    with translation.override(language):  # as the session page's drop-down names the tested item
        labels = [str(item) for item in m.HistoryItem.objects.filter(patient=patient)]
    assert any(label.endswith(f"({full})") for label in labels) and any(label.endswith(year) for label in labels)
