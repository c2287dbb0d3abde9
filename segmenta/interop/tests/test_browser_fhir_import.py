"""The import as a practitioner uses it: Synthea files uploaded through the page, the report
read, one proposed field accepted (with its side corrected) and one rejected in the chart."""

import pytest

from segmenta.conftest import browser_login, make_patient
from segmenta.interop.fhir import imports
from segmenta.interop.models import FieldProposal
from segmenta.patients.models import Allergy, HistoryItem, Patient

from .test_fhir_import import SNOMED, SYNTHEA, bundle, coded, medication, needs_synthea, person

pytestmark = pytest.mark.browser
FILES = ["Patient.000.ndjson", "AllergyIntolerance.000.ndjson", "Condition.000.ndjson"]


@pytest.fixture
def browser_page(page, settings, doctor):
    settings.SEGMENTA_REQUIRE_MFA = False
    browser_login(page)
    return page


@needs_synthea
def test_synthea_files_are_uploaded_and_a_proposal_accepted_and_another_rejected(browser_page, clinic):
    page = browser_page
    page.get_by_role("link", name="Import (FHIR)").click()
    page.get_by_label("FHIR files").set_input_files([str(SYNTHEA / name) for name in FILES])
    page.get_by_role("button", name="Import").click()
    page.wait_for_url("**/import/*/", timeout=120_000)
    # Conditions that name fields are proposed (17 from the condition file), allergies taken.
    assert page.locator("#count-patients").inner_text() == "13"
    assert page.locator("#count-proposed").inner_text() == "17"
    assert page.locator("#count-refused").inner_text() == "0"
    assert Allergy.objects.filter(clinic=clinic).count() == 11
    assert not HistoryItem.objects.exists()

    denis = Patient.objects.get(clinic=clinic, family_name="Schmitt836")
    page.get_by_role("row", name="Denis399 Lincoln623 Schmitt836").get_by_role("link", name="2 history items").click()
    page.wait_for_url(f"**/import/patients/{denis.pk}/proposals/")
    laceration = page.locator("section.proposal", has_text="Laceration of hand")
    laceration.get_by_label("Side").select_option("right")
    laceration.get_by_label("Description").fill("Laceration of the right hand, sutured")
    laceration.get_by_role("button", name="Accept into the chart").click()
    page.wait_for_url(f"**/import/patients/{denis.pk}/proposals/")
    assert "Added to the chart" in page.locator("body").inner_text()
    page.locator("section.proposal", has_text="Fracture of ankle").get_by_role("button", name="Reject").click()
    page.wait_for_url(f"**/import/patients/{denis.pk}/proposals/")
    assert "Nothing waits for your decision." in page.locator("body").inner_text()

    item = HistoryItem.objects.get(patient=denis)
    assert (item.kind, item.date, item.regions, item.description) == (
        "scar", "2018-03-27", [{"region": "hand", "side": "right"}], "Laceration of the right hand, sutured")
    assert dict(FieldProposal.objects.filter(patient=denis).values_list("description", "status")) == {
        "Laceration of hand": "accepted", "Fracture of ankle": "rejected"}
    # The chart lists the accepted field, and links to the proposals.
    page.goto(f"/patients/{denis.pk}/")
    assert "Laceration of the right hand, sutured" in page.locator("#history").inner_text()
    page.locator("#history").get_by_role("link", name="Proposed from imports").click()
    page.wait_for_url(f"**/import/patients/{denis.pk}/proposals/")


@needs_synthea
def test_a_wrong_date_on_accepting_is_said_on_the_page_and_nothing_enters_the_chart(browser_page, clinic):
    imports.run_import(clinic, imports.read_document("p.ndjson", (SYNTHEA / "Patient.000.ndjson").read_bytes())
                       + imports.read_document("c.ndjson", (SYNTHEA / "Condition.000.ndjson").read_bytes()))
    denis = Patient.objects.get(clinic=clinic, family_name="Schmitt836")
    page = browser_page
    page.goto(f"/import/patients/{denis.pk}/proposals/")
    laceration = page.locator("section.proposal", has_text="Laceration of hand")
    laceration.get_by_label("Date").fill("27.03.2018")
    laceration.get_by_role("button", name="Accept into the chart").click()
    assert "YYYY" in page.locator("section.proposal", has_text="Laceration of hand").inner_text()
    assert not HistoryItem.objects.exists()



def test_a_patient_held_for_a_decision_is_taken_into_the_one_chosen_on_the_report(browser_page, clinic, tmp_path):
    existing = make_patient(clinic, family="Weber", given="Anna", birth_date="1971-03-12")
    upload = tmp_path / "weber.json"
    upload.write_text(bundle(person(), medication("m1", "Metoprolol 47.5 mg"),
                             {"resourceType": "Procedure", "id": "x1", "status": "completed",
                              "subject": {"reference": "Patient/p1"},
                              "code": coded(SNOMED, "80146002", "Appendectomy"),
                              "performedDateTime": "1988-07"}))
    page = browser_page
    page.goto("/import/")
    page.get_by_label("FHIR files").set_input_files(str(upload))
    page.get_by_role("button", name="Import").click()
    page.wait_for_url("**/import/*/")
    held = page.locator("#held")
    assert "A patient of the same name has another birth date." in held.inner_text()
    assert not existing.medications.exists()
    held.get_by_label("Weber, Anna").check()
    held.get_by_role("button", name="Take the records").click()
    page.wait_for_url(f"**/import/patients/{existing.pk}/proposals/")
    assert existing.medications.get().name == "Metoprolol 47.5 mg"
    assert page.locator("section.proposal", has_text="Appendectomy").is_visible()
    assert Patient.objects.filter(clinic=clinic).count() == 1


def test_a_file_that_is_no_fhir_json_is_refused_on_the_upload_page(browser_page, clinic, tmp_path):
    upload = tmp_path / "notes.json"
    upload.write_text("these are my notes")
    page = browser_page
    page.goto("/import/")
    page.get_by_label("FHIR files").set_input_files(str(upload))
    page.get_by_role("button", name="Import").click()
    assert "Not FHIR JSON" in page.locator("form[enctype]").inner_text()
    assert not Patient.objects.exists()
