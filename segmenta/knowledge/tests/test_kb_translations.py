"""The knowledge base in English, German and Spanish: every shipped text has its German and
Spanish beside it in the data files, validation names what is missing, pages show the
active language, and the engines and the API keep answering in codes and English."""

import json
import shutil
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import translation

from segmenta.knowledge import localize, translations
from segmenta.knowledge.base import DATA_DIR, KINDS, load, load_from
from segmenta.knowledge.models import ClinicOverride
from segmenta.knowledge.service import for_clinic
from segmenta.patients import models as m


@pytest.fixture
def data_copy(tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(DATA_DIR, folder)
    return folder


def edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def invalid(folder, capsys):
    with pytest.raises(CommandError, match="INVALID"):
        call_command("kb", "validate", "--data", str(folder))
    return capsys.readouterr().err


def test_every_shipped_text_has_its_german_and_spanish():
    kb = load()
    assert translations.LANGUAGES == ("de", "es")
    for kind, entries in kb.entries.items():
        for entry in entries.values():
            assert translations.problems(kind, KINDS[kind][0], entry) == []
    stellate = kb.get("ganglion", "stellate")
    assert translations.localized(stellate, "de")["name"] == "Ganglion stellatum"
    assert translations.localized(stellate, "es")["name"] == "Ganglio estrellado"


def test_validation_fails_naming_file_entry_and_field_when_a_translation_is_missing(data_copy, capsys):
    edit(data_copy / "ganglia.yaml", "      name: Ganglion stellatum\n", "")
    err = invalid(data_copy, capsys)
    assert "ganglia.yaml: ganglion 'stellate': i18n.de.name: no German text for 'Stellate ganglion'" in err


def test_validation_fails_on_an_empty_translation_and_on_a_missing_list_item(data_copy, capsys):
    edit(data_copy / "red_flags.yaml", "      name: Anestesia en silla de montar\n", "      name: ' '\n")
    edit(data_copy / "ganglia.yaml", "      - Durchblutungsstörungen\n", "")
    err = invalid(data_copy, capsys)
    assert "red_flags.yaml: red-flag 'saddle_anaesthesia': i18n.es.name: the Spanish text is empty" in err
    assert "ganglia.yaml: ganglion 'stellate': i18n.de.indications[9]: no German text for " \
           "'vasomotor instability'" in err


def test_a_translation_cannot_carry_a_dose_or_a_code(data_copy, capsys):
    edit(data_copy / "ganglia.yaml", "      volume_ml:\n        note: in Ultraschallstudien\n",
         "      volume_ml:\n        note: in Ultraschallstudien\n        max: 50\n")
    assert "ganglia.yaml: ganglion 'stellate': i18n.de.volume_ml.max: not a text field" in invalid(data_copy, capsys)


def test_validation_fails_when_a_vocabulary_label_lacks_its_translation(data_copy, capsys):
    path = data_copy / "vocabulary.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    del data["i18n"]["es"]["region"]["shoulder"]
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert "vocabulary.json: region 'shoulder': i18n.es.region.shoulder: no Spanish label for 'Shoulder'" \
           in invalid(data_copy, capsys)


def test_the_command_line_exits_non_zero_on_a_missing_translation(data_copy):
    edit(data_copy / "segments.yaml", "      key_point: Daumen\n", "")
    done = subprocess.run([sys.executable, "-m", "segmenta", "kb", "validate", "--data", str(data_copy)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "segments.yaml: segment 'C6': i18n.de: no German text at all" in done.stderr
    assert load_from(DATA_DIR).version == load().version  # the shipped files are untouched


def test_a_language_segmenta_does_not_offer_reads_english():
    stellate = load().get("ganglion", "stellate")
    assert localize.text(stellate, lang="fr") == "Stellate ganglion"
    assert localize.label("region", "shoulder", lang="fr") == "Shoulder"
    assert localize.label("region", "shoulder", lang="de-at") == "Schulter"
    with translation.override("es"):
        assert localize.text(stellate) == "Ganglio estrellado"
        assert localize.label("side", "left") == "Izquierda"
        assert localize.label("segment", "T4") == "T4"  # codes that are their own labels


def test_the_german_learn_page_shows_the_german_monograph_and_labels(doctor_client):
    html = doctor_client.get(reverse("knowledge:entry", args=["ganglion", "stellate"]),
                             HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "<h1>Ganglion stellatum</h1>" in html
    for text in ("Verschmolzenes unteres Hals- und erstes Brustganglion", "CRPS an Arm oder Gesicht",
                 "Vorübergehendes Horner-Syndrom", "Phrenikusparese", "Arzt/Ärztin", "Glaukom"):
        assert text in html, text
    # The sources keep their own titles ("Stellate ganglion blockade, indications (radiologykey)").
    for english in ("Fused inferior cervical", "<h1>Stellate ganglion", "contralateral pneumothorax"):
        assert english not in html, english
    segment = doctor_client.get(reverse("knowledge:entry", args=["segment", "T8"]),
                                HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "8. Interkostalraum" in segment and "Gallenblase" in segment and "Plexus coeliacus" in segment
    kind = doctor_client.get(reverse("knowledge:kind", args=["red-flag"]), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Anestesia en silla de montar" in kind and "Saddle anaesthesia" not in kind


def test_learn_search_finds_an_entry_by_its_german_name_and_shows_it(doctor_client):
    html = doctor_client.get(reverse("knowledge:index") + "?q=Reithosenanästhesie",
                             HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert reverse("knowledge:entry", args=["red-flag", "saddle_anaesthesia"]) in html
    assert "Reithosenanästhesie" in html


def test_a_spanish_chart_shows_spanish_labels(doctor_client, patient):
    m.HistoryItem.objects.create(patient=patient, kind="scar", description="appendectomy 1998",
                                 regions=[{"region": "abdomen_lower", "side": "right"}])
    html = doctor_client.get(reverse("patients:detail", args=[patient.pk]), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Cicatriz" in html and "Scar:" not in html
    german = doctor_client.get(reverse("patients:detail", args=[patient.pk]),
                               HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Narbe" in german


def test_the_api_and_the_engines_answer_in_codes_and_english_whatever_the_language(api_client):
    case = {"format": "segmenta-case/1",
            "patient": {"sex": "male", "birth_date": "1960-03-01", "weight_kg": 80},
            "complaints": [{"id": "c1", "description": "low back pain", "regions": [{"region": "lower_back"}],
                            "onset": "2026-08", "nrs": 6, "findings": ["saddle_anaesthesia"]}]}
    answers = {lang: api_client.post("/api/v1/assess", json.dumps(case), content_type="application/json",
                                     HTTP_ACCEPT_LANGUAGE=lang) for lang in ("en", "de", "es")}
    assert {r.status_code for r in answers.values()} == {200}
    english = answers["en"].json()
    assert answers["de"].json() == english and answers["es"].json() == english
    flag = next(f for f in english["red_flags"] if f["code"] == "saddle_anaesthesia")
    assert flag["message"] == "Saddle anaesthesia" and flag["action"].startswith("Possible cauda equina")


def test_the_german_assess_page_shows_the_red_flag_in_german(doctor_client, patient):
    m.Complaint.objects.create(patient=patient, description="Kreuzschmerz", onset="2026-08",
                               regions=[{"region": "lower_back"}], findings=["saddle_anaesthesia"])
    html = doctor_client.get(reverse("assessment:assess", args=[patient.pk]),
                             HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Reithosenanästhesie" in html and "Mögliches Cauda-equina-Syndrom" in html
    assert "Saddle anaesthesia" not in html


def test_a_clinic_override_of_a_text_shows_the_clinics_words_until_it_translates_them(clinic, doctor_client):
    ClinicOverride.objects.create(clinic=clinic, kind="ganglion", entry_id="stellate",
                                  data={"location": "Our own description of the approach."}, reason="house style")
    german = localize.entry(for_clinic(clinic).get("ganglion", "stellate"), "de")
    assert german["location"] == "Our own description of the approach."
    assert german["name"] == "Ganglion stellatum"  # what the clinic left alone stays translated
    ClinicOverride.objects.filter(clinic=clinic).update(data={
        "location": "Our own description of the approach.",
        "i18n": {"de": {"location": "Unsere eigene Beschreibung des Zugangs."}}})
    assert localize.entry(for_clinic(clinic).get("ganglion", "stellate"), "de")["location"] == \
        "Unsere eigene Beschreibung des Zugangs."


def test_the_emergency_card_and_equipment_list_follow_the_language_with_the_same_doses(patient):
    from segmenta.treatment.emergency import card_for, equipment_items

    m.WeightMeasurement.objects.create(patient=patient, date="2026-11-01", weight_kg=62)
    patient.refresh_from_db()
    kb = load()
    english = card_for(patient, kb)
    with translation.override("de"):
        german = card_for(patient, kb)
        items = equipment_items(kb)
    assert german["last"]["management"][0] == "Injektion des Lokalanästhetikums beenden."
    assert german["anaphylaxis"]["name"] == "Anaphylaxie" and german["vasovagal"]["signs"][0] == "Blässe"
    assert english["last"]["management"][0] == "Stop injecting local anaesthetic."
    # Every dose the same; only the words around them change.
    for part, words in (("asra", "if_unstable"), ("adrenaline", "route")):
        assert german[part][words] != english[part][words]
        assert {k: v for k, v in german[part].items() if k != words} == \
            {k: v for k, v in english[part].items() if k != words}
    assert [i["id"] for i in items][0] == "oxygen" and items[0]["name"] == "Sauerstoff: Flasche voll, Maske mit Reservoir"
    assert kb.get("protocol", "emergency-equipment")["items"][0]["name"].startswith("Oxygen")  # the base is untouched


def test_an_outcome_instruments_page_reads_in_german(doctor_client):
    html = doctor_client.get(reverse("knowledge:entry", args=["instrument-threshold", "phq-9"]),
                             HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Selbstverletzung" in html  # the item-9 alert, in German
    nrs = doctor_client.get(reverse("knowledge:entry", args=["instrument-threshold", "nrs-11"]),
                            HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Escala numérica de valoración del dolor" in nrs
