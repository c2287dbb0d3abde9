import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from segmenta.knowledge.base import KINDS, load


def run(*args, capsys):
    call_command("kb", *args)
    return capsys.readouterr().out


def test_validate_reports_the_version(capsys):
    assert run("validate", capsys=capsys).startswith(f"knowledge base OK: version {load().version}")


def test_validate_fails_on_a_broken_folder(tmp_path, capsys):
    (tmp_path / "VERSION").write_text("x")
    with pytest.raises(CommandError, match="INVALID"):
        call_command("kb", "validate", "--data", str(tmp_path))
    assert "cannot read the data files" in capsys.readouterr().err


def test_list_shows_every_entry_of_a_kind(capsys):
    lines = run("list", "ganglion", capsys=capsys).splitlines()
    assert [line.split("\t")[0] for line in lines][:2] == ["stellate", "superior_cervical"]
    assert len(lines) == len(load().all("ganglion"))


def test_show_as_json(capsys):
    entry = json.loads(run("show", "segment", "C6", "--json", capsys=capsys))
    assert entry["key_point"] == "Thumb" and entry["sources"] == ["isncsci-keypoints"]


def test_show_names_its_sources(capsys):
    out = run("show", "ganglion", "stellate", capsys=capsys)
    assert "source aneskey-stellate:" in out


@pytest.mark.parametrize("args,message", [(("list", "spell"), "KIND: unknown kind"),
                                          (("show", "organ", "brain"), "ID: no organ with id 'brain'")])
def test_bad_kind_or_id_exits_2(args, message):
    with pytest.raises(CommandError, match=message) as excinfo:
        call_command("kb", *args)
    assert excinfo.value.returncode == 2


def test_export_has_every_kind_and_every_entry_has_id_name_and_sources(capsys):
    exported = json.loads(run("export", "--json", capsys=capsys))
    assert exported["version"] == load().version
    assert set(exported["kinds"]) == set(KINDS)
    for entries in exported["kinds"].values():
        for entry in entries:
            assert {"id", "name", "sources"} <= set(entry)
