"""Retention periods come from the knowledge base, with their sources; an unknown
jurisdiction has none, and unknown never means a chart may go."""

import datetime
import shutil

import pytest
import yaml

from segmenta.knowledge import retention
from segmenta.knowledge.base import DATA_DIR, KnowledgeError, load, load_from

D = datetime.date


def rules():
    return load().entries["retention"]


def test_germany_keeps_charts_ten_years_after_the_last_treatment_by_the_civil_code():
    germany = load().get("retention", "DE")
    assert (germany["years"], germany["counted_from"], germany["clinic_must_confirm"]) == (10, "last_treatment", False)
    # bgb-630 for the chart; the others for how long its issued invoices are kept (tax law).
    assert germany["sources"][0] == "bgb-630" and germany["evidence"] == "law"
    assert "§630f(3)" in germany["note"]


def test_every_period_names_a_source_that_exists():
    kb = load()
    for entry in kb.all("retention"):
        assert entry["sources"], entry["id"]
        assert all(kb.source(s) for s in entry["sources"]), entry["id"]


def test_an_unknown_jurisdiction_has_no_default_period():
    for code in ("", None, "FR", "US-OR"):
        kept_for = retention.period(None, code, rules())
        assert kept_for.years is None and kept_for.basis == retention.UNKNOWN and not kept_for.known


def test_the_clinics_own_period_overrides_the_jurisdictions():
    kept_for = retention.period(15, "DE", rules())
    assert (kept_for.years, kept_for.basis, kept_for.known) == (15, retention.CLINIC, True)
    assert retention.period(12, "", rules()).known  # a clinic elsewhere may set its own


def test_a_national_minimum_that_regions_extend_needs_the_clinics_own_period():
    spain = retention.period(None, "ES", rules())
    assert spain.years == 5 and spain.basis == retention.TO_CONFIRM and not spain.known
    assert retention.period(None, "ES-CT", rules()).basis == retention.TO_CONFIRM  # a region falls back to its country
    switzerland = retention.period(None, "CH", rules())
    assert switzerland.years is None and not switzerland.known
    assert retention.period(20, "CH", rules()).known


def test_austria_counts_from_the_last_entry_or_session_whichever_is_later():
    austria = retention.period(None, "AT", rules())
    assert austria.known and austria.counted_from == "last_entry"
    found = retention.assess(austria, D(2015, 1, 10), D(2016, 3, 1), D(2026, 3, 1))
    assert found["from"] == D(2016, 3, 1) and found["status"] == retention.KEPT and found["due"] == D(2026, 3, 2)


def test_the_last_treatment_is_the_latest_session_else_the_last_entry():
    germany = retention.period(None, "DE", rules())
    assert retention.start(germany, D(2014, 5, 1), D(2020, 1, 1)) == D(2014, 5, 1)
    assert retention.start(germany, None, D(2020, 1, 1)) == D(2020, 1, 1)


def test_a_chart_may_go_from_the_day_after_its_period_ends():
    germany = retention.period(None, "DE", rules())
    assert retention.assess(germany, D(2016, 5, 1), D(2016, 5, 1), D(2026, 5, 1))["status"] == retention.KEPT
    found = retention.assess(germany, D(2016, 5, 1), D(2016, 5, 1), D(2026, 5, 2))
    assert (found["status"], found["due"]) == (retention.PAST, D(2026, 5, 2))


def test_without_a_known_period_no_chart_is_due():
    unknown = retention.period(None, "", rules())
    found = retention.assess(unknown, D(1990, 1, 1), D(1990, 1, 1), D(2026, 1, 1))
    assert (found["status"], found["due"]) == (retention.NO_PERIOD, None)


def test_the_29th_of_february_becomes_the_28th_in_a_common_year():
    assert retention.add_years(D(2016, 2, 29), 10) == D(2026, 2, 28)


def test_the_shortest_period_a_clinic_may_set_is_its_jurisdictions():
    assert retention.shortest_allowed("DE", rules()) == 10
    assert retention.shortest_allowed("ES", rules()) == 5
    assert retention.shortest_allowed("CH", rules()) is None
    assert retention.shortest_allowed("", rules()) is None


@pytest.fixture
def data_copy(tmp_path):
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def edit_rules(folder, change):
    path = folder / "retention_rules.yaml"
    entries = yaml.safe_load(path.read_text())
    change(entries)
    path.write_text(yaml.safe_dump(entries, allow_unicode=True))


def test_a_period_of_no_years_that_the_clinic_need_not_confirm_is_refused(data_copy):
    edit_rules(data_copy, lambda entries: entries[3].update(clinic_must_confirm=False))  # CH
    with pytest.raises(KnowledgeError, match="retention 'CH'.*clinic must set one"):
        load_from(data_copy)


def test_a_period_without_a_source_must_say_so(data_copy):
    edit_rules(data_copy, lambda entries: entries[0].update(sources=[]))  # DE
    with pytest.raises(KnowledgeError, match="retention 'DE'.*no_source"):
        load_from(data_copy)


def test_a_clinic_cannot_override_a_retention_period_in_the_knowledge_base():
    from django.core.exceptions import ValidationError

    from segmenta.knowledge.models import overridable_kind, overridable_kinds

    assert "retention" not in dict(overridable_kinds())
    with pytest.raises(ValidationError, match="settings page"):
        overridable_kind("retention")
