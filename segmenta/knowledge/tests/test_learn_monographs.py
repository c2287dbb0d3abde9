"""Learn pages read as clinical monographs: prose and tables with human labels, units and
ranges, never the data's field names or codes ("sexes: female, male", "upper_arm",
"bolus ml per kg"); sources, evidence and the honesty notes stay as they were."""

import html as html_lib
import re

import pytest
from django.test import Client
from django.urls import reverse

from segmenta.conftest import login_verified
from segmenta.knowledge import vocabulary
from segmenta.knowledge.base import load
from segmenta.knowledge.models import ClinicOverride
from segmenta.knowledge.monograph import label, map_title

# Unit words: a field name spelled out with them reads as a data dump ("session max mg").
UNIT_WORDS = {"mg", "ml", "kg", "per", "percent", "min", "max", "minutes", "hours", "seconds", "days", "years"}
# Field names the page itself uses as labels followed by a colon.
PAGE_LABELS = {"sources", "evidence", "studies"}


def visible_text(page):
    main = page[page.index("<main"):page.index("</main>")]
    return html_lib.unescape(" ".join(re.sub(r"<[^>]+>", " ", main).split()))


def keys_and_codes(value, keys, codes, in_prose=False):
    """Every field name in an entry, and every coded value (not prose) in it."""
    if isinstance(value, dict):
        for key, item in value.items():
            keys.add(str(key))
            keys_and_codes(item, keys, codes, in_prose=key in ("note", "rule", "description", "text"))
    elif isinstance(value, list):
        for item in value:
            keys_and_codes(item, keys, codes, in_prose)
    elif isinstance(value, str) and not in_prose and re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", value):
        codes.add(value)


VOCABULARY_CODES = {code for kind in ("region", "organ", "condition", "medication_class", "allergy_class",
                                      "profession", "injection_target", "finding", "sign", "history_kind",
                                      "consent_scope") for code in vocabulary.codes(kind) if "_" in code}


def raw_names_on(text, entry):
    keys, codes = set(), set()
    keys_and_codes(entry, keys, codes)
    lowered = text.lower()
    found = []
    for code in codes | VOCABULARY_CODES:
        if re.search(rf"(?<![\w/.-]){re.escape(code)}(?![\w/-])", text):
            found.append(code)
    for key in keys:
        if "_" in key and re.search(rf"(?<![\w/.-]){re.escape(key)}(?![\w/-])", text):
            found.append(key)
        spelled = key.replace("_", " ").lower()
        if "_" in key and set(spelled.split()) & UNIT_WORDS and re.search(rf"\b{re.escape(spelled)}\b", lowered):
            found.append(spelled)
        if key.lower() not in PAGE_LABELS and re.search(rf"\b{re.escape(key.lower())}:", lowered):
            found.append(f"{key}:")
    return found


def test_no_entry_page_shows_a_raw_field_name_or_code(doctor_client):
    kb = load()
    problems = []
    for kind, entries in kb.entries.items():
        for entry in entries.values():
            response = doctor_client.get(reverse("knowledge:entry", args=[kind, entry["id"]]))
            assert response.status_code == 200, (kind, entry["id"])
            found = raw_names_on(visible_text(response.content.decode()), entry)
            if found:
                problems.append(f"{kind}/{entry['id']}: {sorted(set(found))}")
    assert not problems, "\n".join(problems)


def test_the_check_finds_a_data_dump_when_there_is_one():
    entry = {"serves": {"sexes": ["female", "male"]}, "regions": ["upper_arm"], "lipid": {"bolus_ml_per_kg": 1.5}}
    assert set(raw_names_on("sexes: female, male; upper_arm; bolus ml per kg 1.5", entry)) == {
        "sexes:", "upper_arm", "bolus ml per kg"}
    assert raw_names_on("Patients of any sex; Upper arm; bolus 1.5 mL/kg", entry) == []


def test_no_field_name_is_a_piece_of_a_sentence():
    """An unquoted comma or colon in a YAML flow mapping cuts a sentence into a field name and
    loses its end ("note: head (vessels, glands)" gave the note "head (vessels")."""
    keys, _codes = set(), set()
    keys_and_codes(load().entries, keys, _codes)
    assert not [key for key in keys if not re.fullmatch(r"[A-Za-z0-9_.-]+", key)]


def page(client, kind, entry_id, **params):
    response = client.get(reverse("knowledge:entry", args=[kind, entry_id]), params)
    assert response.status_code == 200
    return visible_text(response.content.decode())


def test_a_ganglion_says_whom_the_assessment_suggests_it_for_in_words(doctor_client):
    stellate = page(doctor_client, "ganglion", "stellate")
    assert "Patients Of any sex" in stellate and "Upper arm" in stellate and "3–5 mL" in stellate
    assert "Patients Female patients only" in page(doctor_client, "ganglion", "frankenhauser")
    assert "The assessment does not suggest this target by itself." in page(doctor_client, "ganglion", "otic")


def test_a_ganglion_links_its_segments_and_technique(doctor_client):
    response = doctor_client.get(reverse("knowledge:entry", args=["ganglion", "coeliac"])).content.decode()
    assert f'<a href="{reverse("knowledge:entry", args=["segment", "T5"])}">T5</a>–' in response
    assert f'href="{reverse("knowledge:entry", args=["technique", "coeliac"])}"' in response
    assert "no volume found in the sources" in visible_text(response)


def test_the_drug_page_gives_its_limits_with_units_and_in_millilitres(doctor_client):
    text = page(doctor_client, "drug", "procaine")
    assert "Maximum dose per session 500 mg" in text
    assert "Maximum dose per kg body weight 7 mg/kg" in text
    assert "at most 200 mg within 120 min (2 h)" in text
    assert "1 % 10 mg/mL 50 mL" in text  # the session maximum by strength
    assert "Stellate ganglion 400 mg (40 mL at 1 %)" in text
    assert "Onset 2–5 min" in text and "ATC code N01BA02" in text


def test_the_last_page_gives_the_lipid_doses_as_a_sentence(doctor_client):
    text = page(doctor_client, "protocol", "last")
    assert "bolus 1.5 mL/kg of lean body weight over 2–3 min, then 0.25 mL/kg/min" in text
    assert "bolus 100 mL over 2–3 min, then 200–250 mL over 15–20 min" in text
    assert "Stop injecting local anaesthetic." in text


def test_a_safety_rule_reads_with_its_values_and_follows_a_clinics_override(admin_user, clinic):
    client = login_verified(Client(), admin_user)
    assert "older than 30 days" in page(client, "safety-rule", "pregnancy_status")
    ClinicOverride.objects.create(clinic=clinic, kind="safety-rule", entry_id="pregnancy_status", reason="stricter",
                                  data={"valid_days": 14})
    text = page(client, "safety-rule", "pregnancy_status")
    assert "older than 14 days" in text and "stays current for 14 days" in text


def test_the_bleeding_rule_is_a_table_by_the_procedures_risk(doctor_client):
    text = page(doctor_client, "safety-rule", "bleeding")
    assert "Within the hold time, by the procedure's bleeding risk (ASRA) Agent Low Intermediate High" in text
    assert "Aspirin warns warns blocks" in text


def test_a_hold_time_reads_in_days_and_says_whether_it_was_checked(doctor_client):
    warfarin = page(doctor_client, "bleeding-agent", "warfarin")
    assert "5 days (120 h)" in warfarin and "INR checked" in warfarin
    assert "Not yet checked against the guideline's tables." in page(doctor_client, "bleeding-agent", "apixaban")


def test_a_crisis_contact_can_be_called_from_the_page(doctor_client):
    response = doctor_client.get(reverse("knowledge:entry", args=["crisis-contact", "DE"])).content.decode()
    assert 'href="tel:08001110111"' in response and 'href="tel:112"' in response


def test_a_source_lists_what_cites_it(doctor_client):
    text = page(doctor_client, "source", "asra-2018")
    assert "Cited by" in text and "Bleeding risk by procedure class and agent" in text and "Warfarin" in text


def test_other_names_are_shown_by_language(doctor_client):
    text = page(doctor_client, "ganglion", "stellate")
    assert "German Stellatum, Ganglion stellatum" in text and "Spanish ganglio estrellado" in text
    assert "Stellatumblockade" not in text  # a search term, not a name of the ganglion


def test_a_field_the_layout_does_not_know_is_still_labelled_in_words(admin_user, clinic):
    ClinicOverride.objects.create(clinic=clinic, kind="protocol", entry_id="vasovagal", reason="our observation",
                                  data={"recovery_minutes_max": 2, "bolus_ml_per_kg": 1.5})
    text = page(login_verified(Client(), admin_user), "protocol", "vasovagal")
    assert "Further details" in text and "Recovery, at most 2 min" in text and "Bolus 1.5 mL/kg" in text


@pytest.mark.parametrize("key, expected", [
    ("bolus_ml_per_kg", "Bolus (mL/kg)"),
    ("infusion_ml_per_kg_per_min", "Infusion (mL/kg/min)"),
    ("per_kg_mg", "Per kg (mg/kg)"),
    ("after_cns_event_hours_min", "After CNS event, at least (h)"),
    ("window_minutes", "Window (min)"),
    ("valid_days", "Valid (days)"),
])
def test_field_names_read_as_words_with_their_unit(key, expected):
    assert label(key) == expected


def test_every_kind_has_a_page_for_every_entry_with_its_sources(doctor_client):
    kb = load()
    for kind in kb.entries:
        entry = kb.all(kind)[0]
        response = doctor_client.get(reverse("knowledge:entry", args=[kind, entry["id"]]))
        assert response.status_code == 200 and "Knowledge version" in response.content.decode(), kind


def test_a_safety_rule_says_what_it_warns_of_in_words_not_in_codes(doctor_client):
    """The rules' prose named the safety check's reason codes ("(pregnancy_unknown)", "(null)",
    "(rule age)"); a clinician reads what the warning says instead."""
    problems = []
    for entry in load().all("safety-rule"):
        text = page(doctor_client, "safety-rule", entry["id"])
        found = re.findall(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b|\(null\)|\(rule \w+\)|\w+\.yaml", text)
        if found:
            problems.append(f"{entry['id']}: {found}")
    assert not problems, "\n".join(problems)
    assert "every injection warns that the weight is unknown" in page(doctor_client, "safety-rule", "weight")
    assert "never reviewed counts as unknown, not as empty" in page(doctor_client, "safety-rule", "list_review")


def test_an_organ_without_a_segment_level_names_its_empty_map_in_words(doctor_client):
    text = page(doctor_client, "organ", "prostate")
    assert "No segment level found default" in text and "Spinal segments none found in the sources" in text
    assert "None" not in text and "Supply none" not in text
    assert map_title({"id": "none"}) == "No segment level found"


def test_names_read_as_names_and_no_matching_stems_are_listed(doctor_client):
    procaine = page(doctor_client, "drug", "procaine")
    assert "Allergy names recognised" not in procaine and "sulfonamid," not in procaine and "paba" not in procaine
    assert "An allergy recorded by name instead of by class is recognised too" in procaine
    assert "Recognised by the names Warfarin, Coumadin, Jantoven" in page(doctor_client, "bleeding-agent", "warfarin")
    scar = page(doctor_client, "technique", "scar")
    assert "(townsendletter)" not in scar and "as the Townsend Letter (2017) describes it." in scar


@pytest.mark.parametrize("kind, entry_id", [("ganglion", "stellate"), ("drug", "procaine"),
                                             ("protocol", "last")])
def test_the_contents_list_the_sections_in_the_order_the_page_shows_them(doctor_client, kind, entry_id):
    html = doctor_client.get(reverse("knowledge:entry", args=[kind, entry_id])).content.decode()
    toc = html[html.index('<nav class="toc"'):]
    toc = toc[:toc.index("</nav>")]
    targets = re.findall(r'href="#([\w-]+)"', toc)
    assert targets and targets[-1] == "sources-title"
    body = html[html.index("</nav>"):]
    positions = [body.index(f'id="{target}"') for target in targets]
    assert positions == sorted(positions), targets


def test_each_indication_heading_starts_with_a_capital(doctor_client):
    html = doctor_client.get(reverse("knowledge:entry", args=["ganglion", "stellate"])).content.decode()
    section = html[html.index('id="evidence-title"'):]
    headings = re.findall(r"<h3>([^<]+)</h3>", section[:section.index("</section>")])
    assert len(headings) > 2 and all(h[0].isupper() for h in headings), headings


@pytest.mark.parametrize("kind, entry_id, reads, not_reads", [
    ("scope-rule", "heilpraktiker-wheals-only", ["When the rule is broken The safety check blocks the injection",
                                                "Applies in Every jurisdiction"],
     ["the safety check blocks", "Where every jurisdiction"]),
    ("safety-rule", "pregnancy_status", ["Ages 12 to 55 years"], ["Applies from age to age"]),
    ("safety-rule", "product_expiry", ["When the rule applies The safety check blocks the injection",
                                       "When it is not known The safety check warns; the injection may go ahead"],
     ["The safety check blocks When"]),
    ("bleeding-agent", "warfarin", ["The safety check reports it as Anticoagulant"], ["as anticoagulant"]),
    ("retention", "DE", ["Clinic must confirm No"], ["confirm no"]),
    ("retention", "ES", ["Clinic must confirm Yes: nothing is removed"], []),
    ("field-category", "scars", ["How often practitioners name it Often, among the first"], []),
])
def test_a_label_and_its_value_read_as_a_clinician_expects(doctor_client, kind, entry_id, reads, not_reads):
    text = page(doctor_client, kind, entry_id)
    for expected in reads:
        assert expected in text, expected
    for unexpected in not_reads:
        assert unexpected not in text, unexpected
