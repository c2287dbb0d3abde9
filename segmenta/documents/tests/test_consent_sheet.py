"""The information and consent sheet is printed only with a consent given and not withdrawn:
for a refusal or a withdrawn consent the page says why, the PDF answers 409 and `segmenta pdf`
exits 2, and nothing is issued."""

import copy
import datetime
import re

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from segmenta.conftest import make_patient
from segmenta.documents import content
from segmenta.documents.make import compose, printed
from segmenta.documents.models import IssuedDocument, Kind
from segmenta.knowledge.base import check, load
from segmenta.knowledge.models import ClinicOverride
from segmenta.patients.models import Consent
from segmenta.treatment.models import Product

from .conftest import pdf_text, spanish_consent
from .test_pages import client_of


def refused(patient):
    return Consent.objects.create(patient=patient, date=datetime.date(2026, 3, 2), scope="Neuraltherapie",
                                  decision=Consent.Decision.REFUSED)


def withdrawn(patient):
    return Consent.objects.create(patient=patient, date=datetime.date(2026, 3, 2), scope="Neuraltherapie",
                                  scopes=["injection_therapy"], method="signature", signature_svg="M 1 1 L 5 5",
                                  withdrawn_on=datetime.date(2026, 3, 20), withdrawal_note="changed her mind")


@pytest.mark.parametrize("make, says", [(refused, "refused consent"), (withdrawn, "withdrawn on")])
def test_no_sheet_for_a_consent_not_given_or_withdrawn(demo, tmp_path, make, says):
    patient = spanish_consent().patient
    consent = make(patient)
    with pytest.raises(content.NotAvailable, match=says):
        compose(Kind.CONSENT_SHEET, consent, technique="stellate")
    # content.consent_sheet refuses on its own too, whoever calls it.
    with pytest.raises(content.NotAvailable, match=says):
        content.consent_sheet(consent, "stellate")

    client = client_of("demo-doctor")
    page = client.get(reverse("documents:consent_sheet", args=[consent.pk]) + "?technique=stellate")
    assert page.status_code == 409 and says in page.content.decode()
    pdf = client.post(reverse("documents:consent_sheet_pdf", args=[consent.pk]), {"technique": "stellate"})
    assert pdf.status_code == 409 and pdf["Content-Type"].startswith("text/html")

    with pytest.raises(CommandError) as error:
        call_command("pdf", "consent-sheet", str(consent.pk), "--technique", "stellate",
                     "-o", str(tmp_path / "sheet.pdf"), stdout=open("/dev/null", "w"))
    assert error.value.returncode == 2
    assert str(error.value).startswith("ID: ") and says in str(error.value) and "\n" not in str(error.value)
    assert list(tmp_path.iterdir()) == []
    assert not IssuedDocument.objects.filter(consent=consent).exists()


def test_the_index_offers_a_sheet_only_for_a_consent_given_and_says_why_not_for_the_others(demo):
    given = spanish_consent()
    no, gone = refused(given.patient), withdrawn(given.patient)
    page = client_of("demo-doctor").get(reverse("documents:index", args=[given.patient_id])).content.decode()
    assert reverse("documents:consent_sheet", args=[given.pk]) in page
    for consent in (no, gone):
        assert reverse("documents:consent_sheet", args=[consent.pk]) not in page
        assert content.why_no_sheet(consent).split(":")[0] in page
    assert content.why_no_sheet(given) is None


# --- What the sheet says: every warning the knowledge base holds, the drug, frequencies ----

def sheet_text(consent, **options):
    made = compose(Kind.CONSENT_SHEET, consent, **options)
    return re.sub(r"\s+", " ", pdf_text(printed(made))[0]), made


def test_the_pterygopalatine_sheet_warns_of_the_reported_brainstem_haemorrhage_in_the_patients_language(demo):
    consent = spanish_consent()
    text, made = sheet_text(consent, technique="pterygopalatine")
    assert made.language == "es"
    assert "hemorragia del tronco encefálico" in text
    german = Consent.objects.create(patient=make_patient(consent.patient.clinic, language="de"),
                                    date=datetime.date(2026, 3, 2), scope="Neuraltherapie",
                                    scopes=["injection_therapy"], method="signature", signature_svg="M 1 1 L 5 5")
    text, _made = sheet_text(german, technique="pterygopalatine", drug="procaine")
    assert "Hirnstammblutung" in text


def test_how_often_comes_from_the_knowledge_bases_field_not_from_the_wording(demo):
    kb = load()
    # A figure the data marks as stated is "as stated"; the others "not known", whatever digits they hold.
    frankenhauser = content.consent_sheet(spanish_consent(), "frankenhauser", "procaine")["risks"]
    coeliac = {r["text"]: r["frequency_known"] for r in content._risks(kb.get("ganglion", "coeliac"),
                                                                       kb.get("ganglion", "coeliac"))[0]}
    stellate = content._risks(kb.get("ganglion", "stellate"), kb.get("ganglion", "stellate"))[0]
    assert [r["frequency_known"] for r in frankenhauser] == [True]
    assert coeliac["paraplegia (rare)"] and not coeliac["aortic puncture"]
    assert stellate and not any(r["frequency_known"] for r in stellate)
    unmarked = {**kb.get("ganglion", "stellate"), "complications": ["seizure in 1 of 500"]}
    assert content._risks(unmarked, unmarked)[0] == [{"text": "seizure in 1 of 500", "frequency_known": False}]


def test_a_frequency_the_data_marks_must_be_one_of_the_complications():
    entries = copy.deepcopy(load().entries)
    entries["ganglion"]["stellate"]["complications_with_frequency"] = ["stroke in 2 %"]
    assert any("complications_with_frequency names 'stroke in 2 %'" in p for p in check(entries))


def test_the_sheet_names_the_drug_of_the_clinics_shelf_not_always_procaine(demo):
    consent = spanish_consent()
    clinic = consent.patient.clinic
    newcomer = make_patient(clinic, language="es")  # never injected
    fresh = Consent.objects.create(patient=newcomer, date=datetime.date(2026, 3, 2), scope="Terapia neural",
                                   scopes=["injection_therapy"], method="signature", signature_svg="M 1 1 L 5 5")
    # The demo shelf holds procaine and lidocaine: with no injection yet, the practitioner chooses.
    with pytest.raises(content.NotAvailable, match="Choose the drug"):
        compose(Kind.CONSENT_SHEET, fresh, technique="stellate")
    text, _made = sheet_text(fresh, technique="stellate", drug="lidocaine")
    assert "Lidocaína" in text and "Procaína" not in text
    # A shelf of lidocaine only: the sheet names lidocaine unasked.
    Product.objects.filter(clinic=clinic).exclude(drug="lidocaine").update(active=False)
    assert content.sheet_drugs(clinic, load()) == [("lidocaine", "Lidocaine")]
    text, made = sheet_text(fresh, technique="stellate")
    assert made.context["drug_id"] == "lidocaine" and "Lidocaína" in text and "Procaína" not in text
    # The page offers the shelf's drugs; the PDF keeps which drug it named.
    client = client_of("demo-doctor")
    index = client.get(reverse("documents:index", args=[newcomer.pk])).content.decode()
    assert 'name="drug"' in index and 'value="lidocaine" selected' in index and 'value="procaine"' not in index
    response = client.post(reverse("documents:consent_sheet_pdf", args=[fresh.pk]),
                           {"technique": "stellate", "drug": "lidocaine"})
    assert response.status_code == 200
    assert IssuedDocument.objects.get(consent=fresh).texts == {"drug": "lidocaine"}


def test_the_command_checks_and_prints_from_the_clinics_knowledge_base(demo, tmp_path):
    consent = spanish_consent()
    ClinicOverride.objects.create(clinic=consent.patient.clinic, kind="ganglion", entry_id="stellate",
                                  data={"complications": ["a clinic's own warning"]}, reason="test", active=True)
    out = tmp_path / "sheet.pdf"
    call_command("pdf", "consent-sheet", str(consent.pk), "--technique", "stellate", "--drug", "procaine",
                 "-o", str(out), stdout=open("/dev/null", "w"))
    assert "a clinic's own warning" in re.sub(r"\s+", " ", pdf_text(out.read_bytes())[0])
    with pytest.raises(CommandError) as error:
        call_command("pdf", "consent-sheet", str(consent.pk), "--technique", "stellate", "--drug", "aspirin",
                     "-o", str(out), stdout=open("/dev/null", "w"))
    assert error.value.returncode == 2 and str(error.value).startswith("--drug: 'aspirin'")
