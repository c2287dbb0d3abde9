"""Text for CSV files that people open in spreadsheets. Pure Python."""

import re

# A cell, or a piece of one that a spreadsheet splitting on ; , or tabs makes a cell of its
# own, starting with a formula character (after spaces).
FORMULA = re.compile(r"(^|[;,\t\r\n])(\s*)([=+\-@])")


def safe_cell(value):
    """``value`` as text no spreadsheet runs as a formula: an apostrophe goes before every
    formula character that could begin a cell ("x;=1+1;" is two cells in a German
    spreadsheet, the second one a formula)."""
    return FORMULA.sub(lambda m: f"{m.group(1)}{m.group(2)}'{m.group(3)}", str(value))
