"""Case validation answers quickly through jsonschema-rs and explains through jsonschema:
the fast validator must never accept what the reference refuses."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from segmenta import caseformat

REFERENCE = Draft202012Validator(caseformat.build_schema())
FAST, _ = caseformat._validators()

BASE = {
    "format": "segmenta-case/1",
    "patient": {"sex": "female", "birth_date": "1970-01-01", "weight_kg": 60, "height_cm": 170, "pregnant": None,
                "reviewed": {"allergies": "2024-01-01", "medications": None},
                "allergies": [{"substance": "latex", "class": "other"}],
                "medications": [{"name": "ASS", "class": "antiplatelet", "last_dose": "2024-01-01T08:00"}],
                "conditions": []},
    "practitioner": {"profession": "physician", "jurisdiction": "DE", "trained_techniques": ["wheal"]},
    "consent": {"status": "given", "date": "2024-01-01", "scope": []},
    "complaints": [{"id": "c1", "description": "shoulder", "regions": [{"region": "shoulder", "side": "right"},
                                                                        {"choir": 105}],
                    "onset": "2020-06", "nrs": 6, "organs": ["gallbladder"]}],
    "history": [{"id": "h1", "kind": "scar", "description": "appendectomy", "date": "2001",
                 "regions": [{"region": "abdomen_lower", "side": "right"}], "signs": ["keloid"]},
                {"id": "h2", "kind": "tooth", "tooth": "36", "date": "2019-03-04"}],
    "tests": [{"history_id": "h1", "complaint_id": "c1", "onset_seconds": 5, "relief_percent": 100,
               "duration_hours": 24}],
    "planned_injections": [{"target": "wheal", "drug": "procaine", "concentration_percent": 1, "volume_ml": 2,
                            "time": "2024-01-01T09:00+01:00", "side": "right",
                            "product": {"name": "Procain 1%", "preservative": False, "expiry": "2026-01-01"}}],
}

# Values that JSON can carry, with what tends to sit on the edge of a schema: dates with a
# final newline or digits of other scripts, NaN, floats that are whole, huge integers, booleans.
edge_strings = st.sampled_from(["2020\n", "٢٠٢٠", "2020-06-31", "", "x" * 65, "😀" * 64, "1970-01-01T08:00Z",
                                "DE", "de", "US-OR", "segmenta-case/1", "shoulder", "procaine", "101"])
leaves = st.one_of(st.none(), st.booleans(), st.integers(-2 ** 70, 2 ** 70), st.floats(allow_nan=True),
                   st.sampled_from([0, 1, 101, 101.0, 5.0, 400, 400.5, 20, 100]), st.text(max_size=8), edge_strings)
values = st.recursive(leaves, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.sampled_from(["id", "kind", "region", "choir", "side", "class", "x"]),
                                        inner, max_size=3), max_leaves=6)


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*path, index))


PATHS = list(_paths(BASE))[1:]


def _with(case, path, value):
    copy = json.loads(json.dumps(case))
    target = copy
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return copy


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(PATHS), values), min_size=1, max_size=3))
def test_the_fast_validator_accepts_nothing_the_reference_refuses(changes):
    case = BASE
    for path, value in changes:
        try:
            case = _with(case, path, value)
        except (KeyError, IndexError, TypeError):  # an earlier change removed the place
            continue
    if caseformat._fast_valid(FAST, case):
        assert REFERENCE.is_valid(case), next(REFERENCE.iter_errors(case)).message


def test_the_base_case_is_valid_to_both():
    assert FAST.is_valid(BASE) and REFERENCE.is_valid(BASE)
    assert caseformat.validate(BASE) is BASE


def test_where_the_fast_validator_is_stricter_the_reference_decides():
    # jsonschema-rs reads \d as ASCII and $ as the very end; Python's re (the reference) does not.
    case = _with(BASE, ("patient", "birth_date"), "1970\n")
    assert not FAST.is_valid(case)
    assert caseformat.errors(case) == []
    # Arabic-Indic digits pass the pattern as before and meet the date-range check after it.
    case = _with(BASE, ("patient", "birth_date"), "١٩٧٠")
    assert not FAST.is_valid(case)
    assert [str(e) for e in caseformat.errors(case)] == ["patient.birth_date: '١٩٧٠' lies before 1900 or too far ahead"]


def test_a_refused_case_names_the_field_as_before():
    case = _with(BASE, ("history", 1, "tooth"), "99")
    error = caseformat.errors(case)[0]
    assert (error.field, error.message) == ("history[1].tooth", "unknown value '99'")
    case = _with(BASE, ("patient", "weight_kg"), True)
    assert caseformat.errors(case)[0].field == "patient.weight_kg"


def test_data_jsonschema_rs_cannot_read_is_judged_by_the_reference():
    case = _with(BASE, ("patient",), {1: "one"})
    assert [e.field for e in caseformat.errors(case)] == ["patient"]
