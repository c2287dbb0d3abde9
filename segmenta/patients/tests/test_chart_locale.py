"""The chart writes its dates as the page's language does: 12.03.1970 in German, 12/03/1970
in Spanish, ISO in English (the course table's dates too)."""

import pytest
from django.urls import reverse

from segmenta.patients.tests.test_query_counts import long_course


@pytest.mark.parametrize(("language", "birth", "session"), [
    ("de", "12.03.1970", "01.01.2025"), ("es", "12/03/1970", "01/01/2025"), ("en", "1970-03-12", "2025-01-01")])
def test_the_chart_dates_follow_the_language(doctor_client, patient, language, birth, session):
    patient.birth_date = "1970-03-12"
    patient.save()
    long_course(patient, sessions=2, injections=1, history=1)
    page = doctor_client.get(reverse("patients:detail", args=[patient.pk]), HTTP_ACCEPT_LANGUAGE=language)
    text = page.content.decode()
    assert birth in text
    assert f"<td>{session}</td>" in text  # the course table
    if language != "en":
        assert "1970-03-12" not in text
