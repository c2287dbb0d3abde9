"""A long chart lists its latest sessions and history items and links to all of them; the
body map, the dental chart and the NRS course still show everything."""

import re

from django.urls import reverse

from segmenta.patients.tests.test_query_counts import long_course
from segmenta.patients.views import CHART_SHOWN


def listed(page, section):
    """The entries of one card of the chart: session dates or history descriptions."""
    card = re.search(rf'<section class="card" id="{section}".*?</section>', page, re.DOTALL).group(0)
    if section == "treatment":
        return re.findall(r'<a href="/sessions/\d+/">([^<]+)</a>', card)
    return re.findall(r"Scar: (scar \d+)</a>", card)


def test_a_long_chart_lists_the_latest_sessions_and_history_items_and_links_to_all(doctor_client, patient):
    long_course(patient, sessions=CHART_SHOWN["sessions"] + 5, injections=2, history=CHART_SHOWN["history"] + 3)
    url = reverse("patients:detail", args=[patient.pk])
    page = doctor_client.get(url).content.decode()
    sessions = listed(page, "treatment")
    assert len(sessions) == CHART_SHOWN["sessions"]
    assert sessions[0] == "2025-01-25 10:00" and sessions[-1] == "2025-01-06 10:00"  # newest first
    assert f"The latest {CHART_SHOWN['sessions']} of {CHART_SHOWN['sessions'] + 5} sessions are listed." in page
    assert 'href="?sessions=all#treatment"' in page
    history = listed(page, "history")
    assert history == [f"scar {i}" for i in range(3, CHART_SHOWN["history"] + 3)]  # the latest added, in order
    assert f"most recently added of {CHART_SHOWN['history'] + 3} items are listed" in page
    # The map and the dental chart still count everything: every injection is on its segment,
    # one line per target with how many (each segment's tooltip says it three ways).
    assert page.count(f"{2 * (CHART_SHOWN['sessions'] + 5)} injections: Scar") == 3
    assert "injection: Scar" not in page

    everything = doctor_client.get(url + "?sessions=all&history=all").content.decode()
    assert len(listed(everything, "treatment")) == CHART_SHOWN["sessions"] + 5
    assert len(listed(everything, "history")) == CHART_SHOWN["history"] + 3
    assert "are listed." not in everything
    assert f'href="{url}#treatment"' in everything and f'href="{url}#history"' in everything


def test_a_short_chart_lists_everything_without_a_fold(doctor_client, patient):
    long_course(patient, sessions=3, injections=1, history=2)
    page = doctor_client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert len(listed(page, "treatment")) == 3
    assert listed(page, "history") == ["scar 0", "scar 1"]
    assert "list-fold" not in page
