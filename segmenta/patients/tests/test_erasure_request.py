"""The erasure request on the patient's page: only a clinic admin of the patient's clinic,
after the password again, records it. Within the retention period (or while no period is
known) it restricts processing; past the period it erases the chart at once and leaves a
tombstone in the audit trail."""

import pytest
from django.test import Client
from django.urls import reverse

from segmenta.audit.models import AuditEvent
from segmenta.conftest import login_verified, make_patient, reauthenticated
from segmenta.patients import models as pm
from segmenta.patients.restriction import owned_models, owners

from .charts import age, build_chart


@pytest.fixture
def german_clinic(clinic):
    clinic.jurisdiction = "DE"
    clinic.save()
    return clinic


@pytest.fixture
def chart(german_clinic, doctor):
    return build_chart(make_patient(german_clinic, family="Weg", given="Wilma", record_number="R-7"), doctor)


@pytest.fixture
def admin(admin_client):
    return reauthenticated(admin_client)


def url(patient):
    return reverse("patients:erasure", args=[patient.pk])


def remaining(patient_id):
    paths, _links = owners()
    return {m._meta.label: m._base_manager.filter(**{paths[m]: patient_id}).count() for m in owned_models()}


def test_only_an_admin_of_the_patients_clinic_may_record_an_erasure_request(chart, doctor_client, admin):
    assert reauthenticated(doctor_client).get(url(chart.patient)).status_code == 404
    assert admin.get(url(chart.patient)).status_code == 200


def test_an_admin_of_another_clinic_gets_a_404(chart, other_clinic):
    from segmenta.conftest import make_user

    stranger = reauthenticated(login_verified(Client(), make_user("other-admin", other_clinic, "admin")))
    assert stranger.get(url(chart.patient)).status_code == 404


def test_the_request_asks_for_the_password_again(chart, admin_client):
    response = admin_client.get(url(chart.patient))
    assert response.status_code == 302 and "/accounts/reauth/" in response.url


def test_the_chart_offers_the_request_to_its_clinics_admins_only(chart, doctor_client, admin_client):
    chart_url = reverse("patients:detail", args=[chart.patient.pk])
    assert "Erasure request" in admin_client.get(chart_url).content.decode()
    page = doctor_client.get(chart_url).content.decode()
    assert "Erasure request" not in page and "Patient's copy" in page


def test_the_page_says_how_long_the_chart_is_kept_and_from_when_it_may_go(chart, admin):
    html = admin.get(url(chart.patient)).content.decode()
    assert "10 years after the last treatment, as the law of Germany requires." in html
    assert "§630f(3) BGB" in html  # the knowledge base's basis
    # A Spanish page names the country as the knowledge base does in Spanish.
    spanish = admin.get(url(chart.patient), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Alemania" in spanish and "Germany" not in spanish


def test_within_retention_the_request_restricts_processing_and_is_audited(chart, admin, admin_user):
    response = admin.post(url(chart.patient), {"reason": "Letter of 2026-11-02, asks to be forgotten"})
    assert response.status_code == 302 and response.url == reverse("patients:detail", args=[chart.patient.pk])
    patient = pm.Patient.objects.get(pk=chart.patient.pk)
    assert patient.restricted and patient.restricted_by == admin_user
    assert patient.restriction_reason == "Letter of 2026-11-02, asks to be forgotten"
    event = AuditEvent.objects.get(action="update", patient=patient, detail__erasure_request=True)
    assert event.detail["outcome"] == "restricted" and event.detail["retention"]["years"] == 10
    assert "Letter" not in str(event.detail)  # the reason stays with the chart, not in the trail
    assert all(remaining(patient.pk).values())  # nothing deleted
    html = admin.get(response.url).content.decode()
    assert "Processing restricted: this chart is read only" in html


def test_past_retention_the_request_erases_the_chart_at_once(chart, admin, german_clinic):
    age(chart.patient, 11)
    response = admin.post(url(chart.patient), {"reason": "Letter of 2026-11-02", "confirm": "on"})
    assert response.status_code == 302 and response.url == reverse("patients:list")
    assert not pm.Patient.objects.filter(pk=chart.patient.pk).exists()
    assert not any(remaining(chart.patient.pk).values())
    tombstone = AuditEvent.objects.get(action="delete", object_type="patient", object_id=str(chart.patient.pk))
    assert (tombstone.clinic_id, tombstone.patient_id) == (german_clinic.pk, chart.patient.pk)
    assert tombstone.detail["why"] == "erasure_request" and tombstone.detail["deleted"]["treatment.injection"] == 2
    assert "Weg" not in str(tombstone.detail) and "Wilma" not in str(tombstone.detail)


def test_erasing_needs_the_box_ticked(chart, admin):
    age(chart.patient, 11)
    response = admin.post(url(chart.patient), {"reason": "Letter of 2026-11-02"})
    assert response.status_code == 400 and "confirm" in response.context["form"].errors
    assert pm.Patient.objects.filter(pk=chart.patient.pk).exists()


def test_the_request_needs_a_reason_and_says_so_for_the_field(chart, admin):
    response = admin.post(url(chart.patient), {"reason": "   "})
    assert response.status_code == 400 and "reason" in response.context["form"].errors
    assert not pm.Patient.objects.get(pk=chart.patient.pk).restricted


def test_without_a_known_period_the_request_restricts_and_says_the_clinic_must_set_one(clinic, doctor, admin):
    chart = build_chart(make_patient(clinic), doctor)  # a clinic without jurisdiction or period
    age(chart.patient, 40)
    html = admin.get(url(chart.patient)).content.decode()
    assert "the clinic must set its period" in html and "Erase the chart" not in html
    admin.post(url(chart.patient), {"reason": "phone call"})
    assert pm.Patient.objects.get(pk=chart.patient.pk).restricted


def test_a_restricted_chart_takes_no_second_request_within_retention(chart, admin):
    admin.post(url(chart.patient), {"reason": "letter"})
    html = admin.get(url(chart.patient)).content.decode()
    assert "An erasure request was recorded on" in html and "Record the request" not in html
    admin.post(url(chart.patient), {"reason": "second letter"})
    assert pm.Patient.objects.get(pk=chart.patient.pk).restriction_reason == "letter"
    assert AuditEvent.objects.filter(detail__erasure_request=True).count() == 1


def test_a_restricted_chart_past_retention_is_erased_by_the_request(chart, admin):
    admin.post(url(chart.patient), {"reason": "letter"})
    age(chart.patient, 11)
    admin.post(url(chart.patient), {"reason": "letter, period now over", "confirm": "on"})
    assert not pm.Patient.objects.filter(pk=chart.patient.pk).exists()


def test_the_patient_list_marks_a_restricted_chart(chart, admin, doctor_client):
    admin.post(url(chart.patient), {"reason": "letter"})
    html = doctor_client.get(reverse("patients:list")).content.decode()
    assert "Read only: erasure requested" in html
