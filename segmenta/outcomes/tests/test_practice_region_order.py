"""The practice page lists body regions in the order of their names, as the reader sees them."""

import re

from segmenta.outcomes.labels import by_label
from segmenta.outcomes.tests.test_summary import course


def row_headers(html, section):
    table = html.split(f"<h2>{section}</h2>", 1)[1].split("</table>", 1)[0]
    return [text.strip() for text in re.findall(r'<th scope="row">([^<]+)</th>', table)]


def test_regions_are_listed_by_their_names_not_their_codes(doctor_client, patient):
    for region in ("shoulder", "abdomen_upper", "knee", "lower_back"):  # codes: a…, k…, l…, s…
        course(patient, region, [8, 5])
    html = doctor_client.get("/outcomes/").content.decode()
    assert row_headers(html, "By body region") == ["Knee", "Lower back", "Shoulder", "Upper abdomen"]


def test_a_region_left_unknown_comes_last_and_names_are_compared_without_accents():
    rows = [{"group": g} for g in ("unknown", "shoulder", "Ärmel", "ankle")]
    assert [r["group"] for r in by_label(rows)] == ["ankle", "Ärmel", "shoulder", "unknown"]
