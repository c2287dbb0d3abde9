"""`segmenta kb validate` checks the fee schedules: every code an exclusion or a schedule
names exists, prices fit their schedule, an unverified entry says what was not verified,
and every text a user reads has its German and Spanish."""

import shutil

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from segmenta.knowledge.base import DATA_DIR, load


def broken(tmp_path, filename, change):
    folder = tmp_path / "data"
    shutil.copytree(DATA_DIR, folder)
    path = folder / filename
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    change({entry["id"]: entry for entry in entries})
    path.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
    return folder


def problems_of(folder, capsys):
    with pytest.raises(CommandError):
        call_command("kb", "validate", "--data", str(folder))
    return capsys.readouterr().err


def test_the_shipped_schedules_validate_and_cover_goae_gebueh_and_tarif_590():
    kb = load()
    assert {s["id"] for s in kb.all("fee-schedule")} == {"goae", "gebueh", "tarif590"}
    goae = {c["code"]: c for c in kb.all("fee-code") if c["schedule"] == "goae"}
    assert {"266", "267", "268", "490", "491", "493", "497", "498", "§10"} <= set(goae)
    assert {rule["code"] for rule in goae["266"]["not_with"]} == {"490", "491"}
    # The reference sheet leaves 498 unverified, and so does the data.
    assert goae["498"]["verified"] is False and goae["498"]["note"]


def test_an_exclusion_naming_no_code_of_the_schedule_fails(tmp_path, capsys):
    folder = broken(tmp_path, "fee_codes.yaml",
                    lambda e: e["goae.266"]["not_with"].append({"code": "999", "scope": "same_area"}))
    assert "fee-code 'goae.266': '999' is no other code of the schedule 'goae'" in problems_of(folder, capsys)


def test_an_unverified_code_without_a_note_fails(tmp_path, capsys):
    folder = broken(tmp_path, "fee_codes.yaml", lambda e: e["goae.498"].pop("note"))
    assert "fee-code 'goae.498': verified: false needs a note" in problems_of(folder, capsys)


def test_a_code_without_its_schedules_price_fails(tmp_path, capsys):
    folder = broken(tmp_path, "fee_codes.yaml", lambda e: e["goae.490"].pop("points"))
    assert "fee-code 'goae.490': the schedule prices by points: give points" in problems_of(folder, capsys)


def test_a_missing_spanish_description_fails(tmp_path, capsys):
    folder = broken(tmp_path, "fee_codes.yaml", lambda e: e["goae.493"]["i18n"]["es"].pop("name"))
    assert "fee-code 'goae.493': i18n.es.name: no Spanish text" in problems_of(folder, capsys)


def test_a_factor_default_outside_its_range_fails(tmp_path, capsys):
    folder = broken(tmp_path, "fee_schedules.yaml", lambda e: e["goae"]["factor"].update(default=4.0))
    assert "fee-schedule 'goae': factor: min ≤ default, threshold ≤ max" in problems_of(folder, capsys)


@pytest.mark.parametrize("change", [lambda s: s.pop("vat_exemption_code"),
                                    lambda s: s.update(vat_exemption_code="132-1C")])
def test_a_schedule_without_its_vat_exemption_code_or_with_no_vatex_code_fails(tmp_path, capsys, change):
    folder = broken(tmp_path, "fee_schedules.yaml", lambda e: change(e["gebueh"]))
    assert "fee-schedule 'gebueh'" in problems_of(folder, capsys)


@pytest.mark.parametrize(("change", "problem"), [
    (lambda s: s.pop("vat_exemption_note"), "'vat_exemption_note' is a required property"),
    (lambda s: s.update(vat_exemption_note=""), "vat_exemption_note"),
    (lambda s: s["i18n"]["de"].pop("vat_exemption_note"), "i18n.de.vat_exemption_note: no German text"),
    (lambda s: s.pop("vat_exemption_verified"), "'vat_exemption_verified' is a required property"),
])
def test_a_schedule_without_its_vat_exemption_wording_in_every_language_fails(tmp_path, capsys, change, problem):
    """The invoice prints the wording where the clinic has none of its own, in the patient's language."""
    folder = broken(tmp_path, "fee_schedules.yaml", lambda e: change(e["tarif590"]))
    found = problems_of(folder, capsys)
    assert "fee-schedule 'tarif590'" in found and problem in found
