"""The membrane-potential lab's page (/learn/lab/): the server's numbers, presets, refusals
naming the field, the claims with their status and sources, and the result alone for htmx."""

import json
import re
from html import escape

import pytest
from django.urls import reverse

from segmenta.conftest import login_verified
from segmenta.knowledge.base import MEMBRANE_MODEL, load
from segmenta.knowledge.service import for_clinic
from segmenta.learning import membrane

NEURON, LIMITS, PRESETS = membrane.from_model(load().get("membrane-model", MEMBRANE_MODEL))
LAB = "/learn/lab/"


def shown_vm(html):
    return float(re.search(r'<output id="lab-vm" data-mv="([-0-9.]+)"', html).group(1))


def test_the_lab_is_at_learn_lab_for_signed_in_users_only(client, doctor_client):
    assert reverse("learning:lab") == LAB
    assert client.get(LAB).status_code == 302
    assert doctor_client.get(LAB).status_code == 200


def test_the_page_opens_on_the_textbook_neuron_computed_by_the_server(doctor_client):
    html = doctor_client.get(LAB).content.decode()
    expected = membrane.rounded(membrane.potentials(NEURON, LIMITS))
    assert shown_vm(html) == expected["vm_mv"]
    for ion, mv in expected["nernst_mv"].items():
        assert f'data-ion="{ion}" data-mv="{mv:.2f}"' in html
    assert 'name="k_out" id="id_k_out" value="5"' in html and 'name="p_na" id="id_p_na" value="0.04"' in html
    assert 'id="lab-vm-marker" data-mv="-69.80"' in html


def test_changed_values_are_computed_and_htmx_gets_the_result_alone(doctor_client):
    query = {**{k: f"{v:g}" for k, v in NEURON.items()}, "k_out": "12"}
    expected = membrane.rounded(membrane.potentials({**NEURON, "k_out": 12}, LIMITS))["vm_mv"]
    page = doctor_client.get(LAB, query).content.decode()
    part = doctor_client.get(LAB, query, HTTP_HX_REQUEST="true").content.decode()
    assert shown_vm(page) == shown_vm(part) == expected
    assert "<html" not in part and part.lstrip().startswith('<section class="card lab-result" id="lab-result"')


@pytest.mark.parametrize(("field", "value", "label"), [
    ("k_in", "0", "K⁺ inside (mmol/L)"), ("na_out", "abc", "Na⁺ outside (mmol/L)"),
    ("temp_c", "99", "Temperature (°C)"), ("blocked_percent", "150", "Voltage-gated Na⁺ channels blocked"),
])
def test_invalid_input_is_said_naming_the_field_and_nothing_is_computed(doctor_client, field, value, label):
    html = doctor_client.get(LAB, {field: value}).content.decode()
    problem = re.search(r'<p class="error" role="alert" id="lab-problem">([^<]*)</p>', html).group(1)
    assert problem.startswith(label)
    assert f'name="{field}" id="id_{field}" value="{value}" step="any" inputmode="decimal" aria-invalid="true"' in html
    assert 'id="lab-vm"' not in html


@pytest.mark.parametrize(("query", "said"), [
    ({"k_in": "1e-320"}, "K⁺ inside (mmol/L): Enter a concentration between 0.001 and 1000 mmol/L."),
    ({"p_k": "5e-324", "p_na": "0", "p_cl": "0", "k_out": "0.5"},
     "K⁺ permeability (relative): Enter 0 or a permeability between 0.0001 and 100."),
])
def test_a_tiny_positive_concentration_or_permeability_is_refused_with_the_labs_limits(doctor_client, query, said):
    html = doctor_client.get(LAB, query).content.decode()
    assert said in html and 'id="lab-vm"' not in html


def test_no_permeability_at_all_is_refused_at_the_potassium_permeability(doctor_client):
    html = doctor_client.get(LAB, {"p_k": "0", "p_na": "0", "p_cl": "0"}).content.decode()
    assert "At least one of the three permeabilities must be above 0." in html
    assert 'name="p_k" id="id_p_k" value="0" step="any" inputmode="decimal" aria-invalid="true"' in html


def test_the_procaine_preset_blocks_channels_without_moving_the_resting_potential(doctor_client):
    procaine = next(p for p in PRESETS if p["id"] == "procaine")
    html = doctor_client.get(LAB, {"preset": "procaine"}).content.decode()
    assert shown_vm(html) == membrane.rounded(membrane.potentials(NEURON, LIMITS))["vm_mv"]
    assert f'name="blocked_percent" id="id_blocked_percent" value="{procaine["blocked_fraction"] * 100:g}"' in html
    model = load().get("membrane-model", MEMBRANE_MODEL)
    free = membrane.excitability(NEURON, LIMITS, model["threshold_mv"], model["peak_p_na"], 0)
    half = membrane.excitability(NEURON, LIMITS, model["threshold_mv"], model["peak_p_na"],
                                 procaine["blocked_fraction"])
    share = re.search(r'<td id="lab-blocked-share">([^<]*)', html).group(1)
    assert share.startswith(f"{half['share_needed'] * 100:.1f}") and half["share_needed"] > free["share_needed"]
    assert 'aria-current="true">Procaine' in html


def test_the_raised_potassium_preset_depolarises(doctor_client):
    html = doctor_client.get(LAB, {"preset": "raised-potassium"}).content.decode()
    raised = next(p for p in PRESETS if p["id"] == "raised-potassium")["values"]
    assert shown_vm(html) == membrane.rounded(membrane.potentials(raised, LIMITS))["vm_mv"] > -69.8


def test_a_blocked_share_that_leaves_threshold_out_of_reach_says_so(doctor_client):
    html = doctor_client.get(LAB, {"blocked_percent": "99.9"}).content.decode()
    assert "threshold out of reach: no action potential" in html


def test_the_claims_are_shown_as_disputed_with_who_states_and_who_questions_them(doctor_client):
    kb = load()
    html = doctor_client.get(LAB).content.decode()
    for claim_id in ("injured-tissue-depolarised", "procaine-restores-potential"):
        claim = kb.get("membrane-text", claim_id)
        section = html[html.index(f'id="claim-{claim_id}"'):]
        section = section[:section.index("</li>")]
        assert claim["name"] in section and '<span class="badge evidence-weak">Disputed</span>' in section
        stated, questioned = section.split("Questioned by:")
        assert all(escape(kb.source(s)["name"]) in stated for s in claim["stated_by"])
        assert all(escape(kb.source(s)["name"]) in questioned for s in claim["questioned_by"])
    for lesson in ("resting-potential", "depolarisation", "procaine-action"):
        assert kb.get("membrane-text", lesson)["name"] in html


def test_a_german_page_shows_german_numbers_and_texts(client, doctor):
    doctor.profile.language = "de"
    doctor.profile.save()
    html = login_verified(client, doctor).get(LAB).content.decode()
    kb = load()
    assert "-69,8&nbsp;mV" in html and 'data-mv="-69.80"' in html  # the machine value keeps its point
    assert kb.get("membrane-text", "procaine-restores-potential")["i18n"]["de"]["name"] in html


def test_the_learn_index_links_to_the_lab(doctor_client):
    assert f'href="{LAB}"' in doctor_client.get(reverse("knowledge:index")).content.decode()


def test_the_resting_range_is_judged_on_the_unrounded_potential_and_worded_honestly(doctor_client):
    resting = load().get("membrane-model", MEMBRANE_MODEL)["resting_mv"]
    default_vm = membrane.potentials(NEURON, LIMITS)["vm_mv"]
    assert resting["max"] < default_vm < resting["max"] + 1  # −69.8 mV: just above −70
    html = doctor_client.get(LAB).content.decode()
    assert "Within the resting range of neurons." not in html
    assert f"Just outside the resting range of neurons ({resting['min']} to {resting['max']} mV), at about its edge." in html
    lower = {**{k: f"{v:g}" for k, v in NEURON.items()}, "k_out": "3"}
    assert resting["min"] <= membrane.potentials({**NEURON, "k_out": 3}, LIMITS)["vm_mv"] <= resting["max"]
    assert "Within the resting range of neurons." in doctor_client.get(LAB, lower).content.decode()


def test_showing_the_lab_leaves_the_knowledge_base_as_it_was(doctor_client, clinic):
    # The page adds each text's sources to what it shows; in English that must not land in the
    # clinic's shared entry, whose own page would then list them as raw "further details".
    kb = for_clinic(clinic)
    ids = ("resting-potential", "procaine-restores-potential")
    before = {text_id: set(kb.get("membrane-text", text_id)) for text_id in ids}
    assert doctor_client.get(reverse("learning:lab")).status_code == 200
    assert {text_id: set(for_clinic(clinic).get("membrane-text", text_id)) for text_id in ids} == before


def note(html, text_id):
    """The result's note quoting the knowledge base's lesson ``text_id``, or None."""
    found = re.search(rf'<div class="lab-note" id="note-{text_id}">(.*?)</div>', html, re.S)
    return found.group(1) if found else None


def folded(text):
    return " ".join(escape(text).split())


@pytest.mark.parametrize("lang", ["en", "de", "es"])
def test_the_results_physiology_is_the_knowledge_bases_lessons_with_their_sources(client, doctor, lang):
    doctor.profile.language = lang
    doctor.profile.save()
    kb = load()
    html = login_verified(client, doctor).get(LAB).content.decode()
    result = html[html.index('id="lab-result"'):html.index("</section>", html.index('id="lab-result"'))]
    for text_id in ("procaine-action", "conduction-block"):
        entry = kb.get("membrane-text", text_id)
        shown = note(result, text_id)
        assert shown is not None, text_id
        wording = entry if lang == "en" else entry["i18n"][lang]
        assert folded(wording["text"]) in " ".join(shown.split())
        assert f'href="{reverse("knowledge:entry", args=["membrane-text", text_id])}"' in shown
        assert all(escape(kb.source(s)["name"]) in shown for s in entry["sources"])
        # Said once on the page: beside the block table, not again among the lessons below.
        assert html.count(folded(wording["text"])[:60]) == 1
    assert note(result, "depolarisation") is None  # −69.8 mV: below threshold
    for literal in ("procaine does not repolarise", "a real nerve stops conducting sooner",
                    "its sodium channels inactivate and it stops firing (this model"):
        assert literal not in html


def test_a_membrane_at_threshold_is_explained_by_the_depolarisation_lesson(doctor_client):
    query = {**{k: f"{v:g}" for k, v in NEURON.items()}, "k_out": "40"}
    assert membrane.potentials({**NEURON, "k_out": 40}, LIMITS)["vm_mv"] >= -55
    part = doctor_client.get(LAB, query, HTTP_HX_REQUEST="true").content.decode()
    lesson = load().get("membrane-text", "depolarisation")
    assert folded(lesson["text"]) in " ".join(note(part, "depolarisation").split())
    assert "The membrane rests at or above the threshold (-55 mV)." in part


def test_with_a_problem_in_the_inputs_the_block_lessons_stay_among_the_lessons(doctor_client):
    html = doctor_client.get(LAB, {"k_in": "0"}).content.decode()
    assert note(html, "procaine-action") is None
    for text_id in ("procaine-action", "conduction-block"):
        assert load().get("membrane-text", text_id)["name"] in html


def claim_status(html, claim_id):
    section = html[html.index(f'id="claim-{claim_id}"'):]
    return re.search(r'<span class="claim-status" data-status="(\w+)">[^<]*<strong>([^<]*)</strong>',
                     section[:section.index("</li>")]).groups()


@pytest.mark.parametrize(("lang", "word"), [("en", "Disputed"), ("de", "Umstritten"), ("es", "Discutido")])
def test_each_claim_shows_its_own_status_translated_beside_its_evidence(client, doctor, lang, word):
    doctor.profile.language = lang
    doctor.profile.save()
    html = login_verified(client, doctor).get(LAB).content.decode()
    for claim_id in ("injured-tissue-depolarised", "procaine-restores-potential"):
        assert claim_status(html, claim_id) == ("disputed", word)


def test_a_refuted_claim_is_shown_as_refuted(admin_client, doctor_client, clinic):
    response = admin_client.post(reverse("knowledge:overrides"), {
        "clinic": clinic.pk, "kind": "membrane-text", "entry_id": "procaine-restores-potential",
        "data_text": json.dumps({"status": "refuted"}), "reason": "Our teaching"})
    assert response.status_code == 302
    html = doctor_client.get(LAB).content.decode()
    assert claim_status(html, "procaine-restores-potential") == ("refuted", "Refuted")
    assert claim_status(html, "injured-tissue-depolarised") == ("disputed", "Disputed")
