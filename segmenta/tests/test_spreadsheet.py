"""CSV cells no spreadsheet runs as formulas."""

import pytest

from segmenta.spreadsheet import safe_cell


@pytest.mark.parametrize("text,safe", [("=1+1", "'=1+1"), ("x;=1+1;", "x;'=1+1;"), ("a, +cmd", "a, '+cmd"),
                                       ("-3", "'-3"), ("@SUM(A1)", "'@SUM(A1)"), ("tab\t=x", "tab\t'=x"),
                                       ("Müller-Lüdenscheid", "Müller-Lüdenscheid"), ("2026-11-25", "2026-11-25"),
                                       (42, "42")])
def test_every_cell_a_spreadsheet_could_split_off_starts_as_text(text, safe):
    assert safe_cell(text) == safe
