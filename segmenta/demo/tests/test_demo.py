from django.contrib.auth import get_user_model
from django.core.management import call_command

from segmenta.accounts.models import Clinic, Membership
from segmenta.patients.models import Patient


def run_demo():
    call_command("demo", stdout=open("/dev/null", "w"))


def test_demo_creates_the_two_clinics_and_their_users(db):
    run_demo()
    roles = {(m.clinic.name, m.user.username): m.role for m in Membership.objects.select_related("clinic", "user")}
    assert roles == {
        ("Demo Praxis", "demo-admin"): "admin",
        ("Demo Praxis", "demo-doctor"): "practitioner",
        ("Demo Praxis", "demo-hp"): "practitioner",
        ("Demo Praxis", "demo-assistant"): "assistant",
        ("Other Clinic", "other-doctor"): "practitioner",
    }
    users = get_user_model().objects
    assert users.get(username="demo-doctor").profile.profession == "physician"
    assert users.get(username="demo-hp").profile.profession == "heilpraktiker"
    assert Patient.objects.filter(clinic__name="Demo Praxis").count() >= 3
    assert Patient.objects.filter(clinic__name="Other Clinic").count() >= 1


def test_demo_can_run_again_without_duplicates(db):
    run_demo()
    counts = (Clinic.objects.count(), get_user_model().objects.count(), Patient.objects.count())
    run_demo()
    assert (Clinic.objects.count(), get_user_model().objects.count(), Patient.objects.count()) == counts


def test_demo_users_log_in_with_the_demo_password(db):
    run_demo()
    assert get_user_model().objects.get(username="demo-admin").check_password("segmenta-demo")


def test_demo_charts_are_rich_and_every_case_is_valid(db):
    from segmenta import caseformat
    from segmenta.patients import models as m
    from segmenta.treatment.case import chart_queryset, patient_case

    run_demo()
    assert Patient.objects.filter(clinic__name="Demo Praxis").count() >= 12
    assert Patient.objects.filter(clinic__name="Other Clinic").count() >= 2
    kinds = set(m.HistoryItem.objects.values_list("kind", flat=True))
    assert kinds == {"scar", "tooth", "tonsils", "sinus", "fracture", "infection", "trauma", "foreign_body",
                     "tattoo", "piercing", "other"}
    assert m.Medication.objects.filter(medication_class="anticoagulant").exists()
    assert m.Allergy.objects.filter(allergy_class="ester_local_anaesthetic").exists()
    assert m.Complaint.objects.exclude(findings=[]).exists()
    for model in (m.WeightMeasurement, m.PregnancyStatus, m.Condition, m.Consent):
        assert model.objects.exists(), model
    for patient in chart_queryset():
        assert caseformat.errors(patient_case(patient)) == [], patient


def test_demo_practice_has_courses_for_the_outcomes_dashboard(db):
    from segmenta.outcomes.models import Response
    from segmenta.outcomes.summary import summary
    from segmenta.treatment.models import Session

    run_demo()
    demo = Clinic.objects.filter(name="Demo Praxis")
    assert Session.objects.filter(patient__clinic__in=demo, status="signed").count() >= 20
    assert Response.objects.filter(patient__clinic__in=demo).count() >= 20
    result = summary(demo)
    assert result["overall"]["n"] >= 10 and 0 < result["overall"]["responders"] < result["overall"]["n"]
    assert result["huneke"]["n"] >= 5
    assert len(result["by_approach"]) >= 2


def test_demo_injections_name_their_injector_product_and_lot(db):
    from segmenta.treatment.models import Injection, Product

    run_demo()
    demo = Clinic.objects.get(name="Demo Praxis")
    assert Product.objects.filter(clinic=demo, preservative=True, multi_dose=True).exists()
    injections = Injection.objects.filter(session__patient__clinic=demo)
    assert injections.exists()
    assert not injections.filter(performed_by__isnull=True).exists()
    assert not injections.filter(product__isnull=True).exists()
    run_demo()  # idempotent: no second shelf
    assert Product.objects.filter(clinic=demo).count() == 4
