"""Teeth as FHIR body sites: the FDI number always (as text, and as a code of FHIR's FDI tooth
code system for permanent teeth), a SNOMED CT body structure only where the knowledge base
holds a verified one; the candidates its sources disagree on are never sent."""

import pytest

from segmenta.interop.fhir import terms
from segmenta.knowledge import vocabulary
from segmenta.knowledge.base import load
from segmenta.patients import models as m
from segmenta.treatment.models import Injection, Session

from .test_fhir_demo import validate

FDI = "http://terminology.hl7.org/CodeSystem/ex-tooth"


def test_every_tooth_of_the_chart_has_an_entry_with_its_sources():
    entries = {e["code"]: e for e in load().all("code") if e.get("vocabulary") == "tooth"}
    assert set(entries) == set(vocabulary.codes("tooth"))
    for number, entry in entries.items():
        permanent = number[0] in "1234"
        assert ("fdi" in entry) == permanent and entry.get("fdi", number) == number
        assert ("snomed" in entry) != ("snomed_unverified" in entry), number
        if "snomed" in entry:  # both crosswalks name the same code
            assert {"dicom-ps3-16-cid-4018", "hl7-dental-data-exchange-teeth"} <= set(entry["sources"])
        else:  # the data says why no code is sent, naming the candidates
            assert all(code in entry["note"] for code in entry["snomed_unverified"])


@pytest.mark.parametrize("number,systems", [("38", [FDI, terms.SNOMED]), ("11", [FDI]), ("55", [])])
def test_tooth_codings(number, systems):
    codings = terms.tooth_codings(number)
    assert [c["system"] for c in codings] == systems
    entry = terms.vocabulary_entry("tooth", number)
    sent = {c["code"] for c in codings}
    assert not sent & set(entry.get("snomed_unverified", []))


def test_procedures_name_their_tooth(api_client, patient):
    items = {n: m.HistoryItem.objects.create(patient=patient, kind="tooth", tooth=n, date="2015",
                                             description="extraction") for n in ("38", "11", "55")}
    sites = {}
    for number, item in items.items():
        body = api_client.get(f"/fhir/r4/Procedure/hi-{item.pk}").json()
        validate(body)
        sites[number] = body["bodySite"][0]
    assert sites["55"] == {"text": "Tooth 55 (FDI)"}
    assert sites["11"] == {"coding": [{"system": FDI, "code": "11"}], "text": "Tooth 11 (FDI)"}
    assert [c["code"] for c in sites["38"]["coding"]] == ["38", "74344005"]
    # An injection at a tested tooth names the tooth first.
    session = Session.objects.create(patient=patient, started_at="2026-03-02T09:00:00Z")
    injection = Injection.objects.create(session=session, order=1, time=session.started_at, target="tooth",
                                         history_item=items["38"], concentration_percent=1, volume_ml="0.5",
                                         verdict="ok", mg=5, cumulative_mg=5)
    body = api_client.get(f"/fhir/r4/Procedure/i-{injection.pk}").json()
    validate(body)
    assert body["bodySite"][0] == sites["38"]
