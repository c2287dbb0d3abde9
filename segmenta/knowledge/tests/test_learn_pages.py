from django.test import Client
from django.urls import reverse


def page(client, *args):
    name = {0: "knowledge:index", 1: "knowledge:kind", 2: "knowledge:entry"}[len(args)]
    return client.get(reverse(name, args=args))


def test_learn_needs_a_login(db):
    assert Client().get(reverse("knowledge:index")).status_code == 302


def test_search_finds_entries_across_kinds(doctor_client):
    html = doctor_client.get(reverse("knowledge:index") + "?q=gallbladder").content.decode()
    assert "Gallbladder" in html and "Organs" in html


def test_segment_page_shows_dermatome_organs_head_zones_ganglia_and_techniques(doctor_client):
    html = page(doctor_client, "segment", "T8").content.decode()
    for text in ("8th intercostal space", "Gallbladder", "(epigastric)", "Coeliac plexus", "Paravertebral",
                 "ISNCSCI dermatome key points"):
        assert text in html, text


def test_ganglion_page_shows_its_safety_data_and_sources(doctor_client):
    html = page(doctor_client, "ganglion", "stellate").content.decode()
    for text in ("Horner", "pneumothorax", "Glaucoma", "Physician", "Evidence:", "aneskey"):
        assert text in html, text


def test_last_page_computes_lipid_doses_for_a_weight(doctor_client):
    html = doctor_client.get(reverse("knowledge:entry", args=["protocol", "last"]) + "?weight=62").content.decode()
    assert "93.0 mL" in html and "15.5 mL/min" in html and "744 mL" in html


def test_last_page_doses_on_lean_body_weight_when_height_and_sex_are_given(doctor_client):
    """ASRA checklist: ≤ 70 kg, 1.5 mL/kg of lean body weight (Janmahasatian 2005 for the lean weight)."""
    from segmenta.knowledge.last import lean_body_weight

    url = reverse("knowledge:entry", args=["protocol", "last"])
    lean = lean_body_weight(62, 168, "female")["kg"]
    html = doctor_client.get(url + "?weight=62&height=168&sex=female").content.decode()
    assert f"lean body weight of {lean:g} kg" in html and f"{round(1.5 * lean, 1)} mL" in html
    assert "Height unknown" in doctor_client.get(url + "?weight=62").content.decode()


def test_last_page_names_a_bad_weight(doctor_client):
    response = doctor_client.get(reverse("knowledge:entry", args=["protocol", "last"]) + "?weight=-3")
    assert response.status_code == 200 and response.context["weight_form"].errors["weight"]


def test_thin_or_missing_evidence_is_said_plainly(doctor_client):
    assert "No source was found for this entry" in page(doctor_client, "organ", "prostate").content.decode()
    assert "This is disputed" in page(doctor_client, "test-method", "applied-kinesiology").content.decode()
    assert "expert opinion" in page(doctor_client, "ganglion", "pterygopalatine").content.decode()


def test_unknown_kind_or_entry_is_404(doctor_client):
    assert page(doctor_client, "spell").status_code == 404
    assert page(doctor_client, "organ", "brain").status_code == 404


def test_every_kind_page_lists_with_evidence(doctor_client):
    from segmenta.knowledge.base import KINDS

    for kind in KINDS:
        assert page(doctor_client, kind).status_code == 200, kind


def test_the_list_of_sources_names_each_type_in_words(doctor_client):
    import re

    from segmenta.knowledge.base import load

    html = page(doctor_client, "source").content.decode()
    assert "Type</th>" in html
    badges = re.findall(r'<span class="badge (?:status|promotional)">([^<]+)</span>', html)
    assert len(badges) == len(load().all("source"))
    assert {"Drug label", "Anatomy", "Expert text", "Promotional text"} <= set(badges)
    assert not {"drug_label", "anatomy", "expert", "promotional"} & set(badges)


def test_the_last_page_names_where_the_monitoring_times_are(doctor_client):
    html = page(doctor_client, "protocol", "last").content.decode()
    assert "times below" not in html
    assert "see the protocol “Monitoring after a LAST event”" in html
    assert f'href="{reverse("knowledge:entry", args=["protocol", "last-monitoring"])}"' in html
    assert '<option value="" selected>Unknown</option>' in html  # the sex, capitalised like Female and Male
