"""A clinic's knowledge-base overrides that no longer validate (the shipped data changed
under them) break no page: the shipped rules apply, and the pages and the check say so."""

from django.urls import reverse

from segmenta.knowledge.models import ClinicOverride
from segmenta.knowledge.service import for_clinic
from segmenta.treatment.models import Session
from segmenta.treatment.tests.posting import form_data


def stale(clinic, admin_user):
    # Written straight to the table: the override form would refuse it today.
    ClinicOverride.objects.create(clinic=clinic, kind="technique", entry_id="wheal", reason="old policy",
                                  data={"limits": {"procaine": {"max_mg": "ten"}}}, created_by=admin_user)


def test_stale_overrides_give_the_shipped_base_with_the_problems(clinic, admin_user):
    stale(clinic, admin_user)
    kb = for_clinic(clinic)
    assert kb.problems and kb.get("technique", "wheal")["limits"]["procaine"]["max_mg"] == 10


def test_the_chart_and_the_session_page_open_and_say_so(doctor_client, clinic, admin_user, patient, doctor):
    stale(clinic, admin_user)
    session = Session.objects.create(patient=patient, started_at="2026-11-25T10:00:00+01:00", practitioner=doctor)
    for url in (reverse("patients:detail", args=[patient.pk]), reverse("treatment:session", args=[session.pk])):
        response = doctor_client.get(url)
        assert response.status_code == 200
        assert "no longer validate" in response.content.decode()


def test_the_safety_check_warns_that_the_clinics_own_rules_are_not_applied(doctor_client, clinic, admin_user,
                                                                           patient, doctor):
    stale(clinic, admin_user)
    session = Session.objects.create(patient=patient, started_at="2026-11-25T10:00:00+01:00", practitioner=doctor)
    response = doctor_client.post(reverse("treatment:injection_check", args=[session.pk]), form_data("injection", {
        "time": "2026-11-25T10:05", "target": "wheal", "drug": "procaine", "concentration_percent": "1",
        "volume_ml": "0.5", "map_regions": '[{"region": "lower_back", "side": "left"}]'}))
    assert response.status_code == 200
    assert "clinic_rules_invalid" in [r["code"] for r in response.context["preview"]["reasons"]]
