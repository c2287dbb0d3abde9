"""settings.py names each setting once at its top level: a second assignment silently wins over
the first, so an edit to the first (its comment, its default) would change nothing."""

import ast
import collections
from pathlib import Path

import segmenta


def test_no_setting_is_assigned_twice_at_the_top_level():
    tree = ast.parse(Path(segmenta.__file__).with_name("settings.py").read_text())
    counts = collections.Counter()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, ast.AnnAssign) else []
        counts.update(target.id for target in targets if isinstance(target, ast.Name))
    assert [name for name, count in counts.items() if count > 1] == []
    assert counts["SEGMENTA_SITE_URL"] == 1
