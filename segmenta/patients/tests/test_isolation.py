"""A user sees and changes only the patients of their own clinics, everywhere."""

import time

from django.urls import reverse

from segmenta.accounts.models import Membership
from segmenta.conftest import make_patient


def test_list_shows_only_own_clinics_patients(doctor_client, patient, foreign_patient):
    html = doctor_client.get(reverse("patients:list")).content.decode()
    assert patient.family_name in html and foreign_patient.family_name not in html


def test_another_clinics_patient_answers_404_in_pages(doctor_client, foreign_patient):
    for name in ("patients:detail", "patients:edit"):
        response = doctor_client.get(reverse(name, args=[foreign_patient.pk]))
        assert response.status_code == 404
        assert foreign_patient.family_name.encode() not in response.content


def test_another_clinics_patient_cannot_be_changed(doctor_client, foreign_patient):
    response = doctor_client.post(reverse("patients:edit", args=[foreign_patient.pk]), {
        "family_name": "Hacked", "given_name": "X", "birth_date": "1970-01-01", "sex": "male"})
    assert response.status_code == 404
    foreign_patient.refresh_from_db()
    assert foreign_patient.family_name == "Fremd"


def test_unknown_and_foreign_ids_look_the_same(doctor_client, foreign_patient):
    foreign = doctor_client.get(reverse("patients:detail", args=[foreign_patient.pk]))
    missing = doctor_client.get(reverse("patients:detail", args=[foreign_patient.pk + 1000]))
    assert foreign.status_code == missing.status_code == 404
    assert foreign.content == missing.content


def test_api_hides_another_clinics_patient(api_client, patient, foreign_patient):
    listing = api_client.get(reverse("api:list_patients")).json()
    assert [p["id"] for p in listing["items"]] == [patient.pk]
    read = api_client.get(reverse("api:read_patient", args=[foreign_patient.pk]))
    assert read.status_code == 404 and read.json() == {"detail": "not found"}
    patch = api_client.patch(reverse("api:update_patient", args=[foreign_patient.pk]),
                             {"family_name": "Hacked"}, content_type="application/json")
    assert patch.status_code == 404
    foreign_patient.refresh_from_db()
    assert foreign_patient.family_name == "Fremd"


def test_api_filter_by_a_foreign_clinic_shows_nothing(api_client, foreign_patient, other_clinic):
    listing = api_client.get(reverse("api:list_patients") + f"?clinic={other_clinic.pk}").json()
    assert listing == {"items": [], "count": 0}


def test_api_cannot_create_a_patient_in_a_foreign_clinic(api_client, other_clinic):
    response = api_client.post(reverse("api:create_patient"), {
        "clinic": other_clinic.pk, "family_name": "A", "given_name": "B", "birth_date": "1980-01-01",
        "sex": "male"}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"].startswith("clinic:")
    assert not other_clinic.patients.filter(family_name="A").exists()


def test_export_contains_only_own_clinics_patients(doctor_client, patient, foreign_patient):
    session = doctor_client.session
    session["reauth_at"] = time.time()
    session.save()
    csv_text = doctor_client.get(reverse("patients:export")).content.decode()
    assert patient.family_name in csv_text and foreign_patient.family_name not in csv_text


def test_member_of_two_clinics_sees_both(doctor, doctor_client, patient, foreign_patient, other_clinic):
    Membership.objects.create(user=doctor, clinic=other_clinic, role="assistant")
    html = doctor_client.get(reverse("patients:list")).content.decode()
    assert patient.family_name in html and foreign_patient.family_name in html
    assert doctor_client.get(reverse("patients:detail", args=[foreign_patient.pk])).status_code == 200


def test_removed_member_loses_access_at_once(doctor, doctor_client, patient):
    doctor.memberships.all().delete()
    assert doctor_client.get(reverse("patients:detail", args=[patient.pk])).status_code == 404
    make_patient(patient.clinic, family="Neu")
    assert b"Neu" not in doctor_client.get(reverse("patients:list")).content
