"""`segmenta lab ghk`: the lab's computation from the command line, as JSON, and its refusals."""

import json
import math
import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from segmenta.knowledge.base import MEMBRANE_MODEL, load
from segmenta.learning import membrane


def ghk(capsys, *arguments):
    call_command("lab", "ghk", *arguments)
    return json.loads(capsys.readouterr().out)


def test_without_options_it_prints_the_textbook_neuron_exactly_in_the_contracts_shape(capsys):
    printed = ghk(capsys)
    assert list(printed) == ["vm_mv", "nernst_mv"] and list(printed["nernst_mv"]) == ["K", "Na", "Cl"]
    defaults, limits, _presets = membrane.from_model(load().get("membrane-model", MEMBRANE_MODEL))
    assert printed == membrane.rounded(membrane.potentials(defaults, limits))
    assert printed == {"vm_mv": -69.8, "nernst_mv": {"K": -89.06, "Na": 66.6, "Cl": -73.62}}


def test_every_option_changes_what_it_names(capsys):
    printed = ghk(capsys, "--temp-c", "20", "--k-in", "400", "--k-out", "20", "--na-in", "50", "--na-out", "440",
                  "--cl-in", "52", "--cl-out", "560", "--p-k", "1", "--p-na", "0.04", "--p-cl", "0.45")
    # The squid axon's classic concentrations at 20 °C: E_K = 25.26 mV × ln(20/400) = −75.7 mV.
    assert printed["nernst_mv"]["K"] == pytest.approx(-75.68, abs=0.02)
    assert printed["nernst_mv"]["Na"] == pytest.approx(54.93, abs=0.02)
    assert printed["nernst_mv"]["Cl"] == pytest.approx(-60.03, abs=0.02)
    assert -70 < printed["vm_mv"] < -55
    only_potassium = ghk(capsys, "--p-na", "0", "--p-cl", "0")
    assert only_potassium["vm_mv"] == only_potassium["nernst_mv"]["K"]


@pytest.mark.parametrize(("arguments", "option"), [
    (["--k-in", "0"], "--k-in"), (["--na-out", "abc"], "--na-out"), (["--temp-c", "99"], "--temp-c"),
    (["--p-cl", "-1"], "--p-cl"), (["--p-k", "0", "--p-na", "0", "--p-cl", "0"], "--p-k"),
])
def test_invalid_input_is_refused_with_exit_2_naming_the_option(arguments, option):
    with pytest.raises(CommandError, match=f"^{option}: ") as refused:
        call_command("lab", "ghk", *arguments)
    assert refused.value.returncode == 2


@pytest.mark.parametrize("arguments", [["--k-out", "-4"], ["--bogus", "1"], ["--k-in", "5e-324"],
                                       ["--p-k", "5e-324", "--p-na", "0", "--p-cl", "0", "--k-out", "0.5"]])
def test_the_segmenta_command_exits_2_with_one_line_on_stderr(tmp_path, arguments):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SEGMENTA_", "DJANGO_", "DATABASE_URL"))}
    env["SEGMENTA_VAR_DIR"] = str(tmp_path)
    result = subprocess.run([sys.executable, "-m", "segmenta", "lab", "ghk", *arguments], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and arguments[0] in result.stderr


def test_the_segmenta_command_prints_json_on_stdout(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SEGMENTA_", "DJANGO_", "DATABASE_URL"))}
    env["SEGMENTA_VAR_DIR"] = str(tmp_path)
    result = subprocess.run([sys.executable, "-m", "segmenta", "lab", "ghk", "--k-out", "12"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["nernst_mv"]["K"] == pytest.approx(26.727 * math.log(12 / 140), abs=0.01)
