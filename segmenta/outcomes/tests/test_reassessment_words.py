"""The reassessment report speaks in clinical words: questionnaires by their titles, bands
and Huneke findings in words, never the codes the engines use ("phq-9", "huneke")."""

from django.urls import reverse

from segmenta.outcomes.responses import save_answers
from segmenta.outcomes.tests.test_reassessment import plan_with_course


def test_questionnaires_appear_by_title_with_their_bands_in_words(doctor_client, patient, doctor):
    plan = plan_with_course(patient)
    save_answers(patient, "phq-9", {f"phq9-{i}": "more_than_half" if i < 9 else "not_at_all"
                                    for i in range(1, 10)}, entered_by=doctor)   # 16: moderately severe
    save_answers(patient, "phq-9", {f"phq9-{i}": "not_at_all" for i in range(1, 10)}, entered_by=doctor)
    save_answers(patient, "nrs-11", {"now": 4, "average": 5, "worst": 7}, entered_by=doctor)
    save_answers(patient, "nrs-11", {"now": 2, "average": 3, "worst": 5}, entered_by=doctor)
    html = doctor_client.get(reverse("outcomes:reassessment", args=[plan.pk])).content.decode()
    assert "<strong>PHQ-9</strong>: 16 (moderately severe) on " in html and "→ 0 (minimal) on " in html
    assert "<strong>Pain intensity (NRS-11)</strong>: 4 on " in html
    for code in ("phq-9:", "nrs-11:", "moderately_severe"):
        assert code not in html


def test_test_injections_name_the_item_and_the_finding_in_words(doctor_client, patient):
    plan = plan_with_course(patient)
    html = doctor_client.get(reverse("outcomes:reassessment", args=[plan.pk])).content.decode()
    assert "<strong>Scar: Cholecystectomy (2018)</strong>" in html
    assert "tested on 2026-01-01: Huneke phenomenon</span>" in html
    assert "tested on 2026-02-01: Huneke phenomenon, confirmed on repetition</span>" in html
    assert "· huneke" not in html and "· confirmed" not in html


def test_test_injections_are_dated_as_the_pages_language_writes_dates(doctor_client, patient):
    plan = plan_with_course(patient)
    url = reverse("outcomes:reassessment", args=[plan.pk])
    german = doctor_client.get(url, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    spanish = doctor_client.get(url, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "01.01.2026" in german and "01.02.2026" in german and "2026-01-01" not in german
    assert "01/01/2026" in spanish and "01/02/2026" in spanish and "2026-02-01" not in spanish
