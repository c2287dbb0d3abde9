"""Learn's simulator, lab and leaflet pages read the knowledge base and never write into it:
in English ``localize.entry`` hands back the shared entry itself, so a page that added a key
to what it got would change the entry for every later page, in every language."""

import copy

import pytest
from django.urls import reverse

from segmenta.knowledge.base import load
from segmenta.learning.models import SimulatorRun

pytestmark = pytest.mark.django_db

KINDS = ("vignette", "membrane-model", "membrane-text", "leaflet", "source", "red-flag", "technique", "drug",
         "crisis-contact")


def test_every_page_of_the_simulator_the_lab_and_the_leaflets_leaves_the_shipped_entries_as_they_were(
        doctor_client):
    kb = load()
    before = {kind: copy.deepcopy(kb.entries[kind]) for kind in KINDS}
    doctor_client.post(reverse("learning:simulator_start", args=["back-pain-red-flags"]))
    run = SimulatorRun.objects.latest("id")
    advance = reverse("learning:simulator_advance", args=[run.pk])
    doctor_client.post(reverse("learning:simulator_ask", args=[run.pk]), {"question": "night"})
    doctor_client.post(advance)
    doctor_client.post(advance, {"regions": '[{"choir": 218}]'})
    doctor_client.post(advance, {"red_flags": ["night_pain"], "candidate_fields": [], "target_1": "wheal",
                                 "drug_1": "procaine", "concentration_1": "1", "volume_1": "0.5"})
    pages = [reverse("learning:simulator"), reverse("learning:simulator_run", args=[run.pk]),
             reverse("learning:lab"), reverse("learning:lab") + "?preset=procaine", reverse("learning:leaflets")]
    pages += [reverse("learning:leaflet", args=[key]) + f"?language={language}"
              for key in kb.entries["leaflet"] for language in ("en", "de")]
    pages += [reverse("knowledge:entry", args=[kind, key]) for kind in ("vignette", "membrane-model", "membrane-text",
                                                                          "leaflet") for key in kb.entries[kind]]
    for page in pages:
        for _ in range(2):  # a second visit reads what the first may have left behind
            assert doctor_client.get(page).status_code == 200, page
    assert {kind: kb.entries[kind] for kind in KINDS} == before
