"""The chart page keeps its own parts drawn (its title, lists, map and courses) under the
patient's and the people's stamps (segmenta/patients/kept.py), with everything else they
are drawn from in the key. A chart read again reads and draws none of them, and shows the
same; any change to what they show draws them anew. The safety strip, the alerts, the
record-keeping card and Recent access are worked out on every read."""

import copy
import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from segmenta.conftest import login_verified, make_patient, make_user
from segmenta.knowledge.models import ClinicOverride
from segmenta.patients import models as pm
from segmenta.patients import views
from segmenta.patients.tests.drawn import count_draws, without_stamps
from segmenta.treatment.case import kept_case
from segmenta.treatment.templatetags import safety_tags

pytestmark = pytest.mark.django_db


@pytest.fixture
def draws(monkeypatch):
    """How many times the chart page drew its own parts."""
    return count_draws(monkeypatch, "_chart_parts", views._charts_drawn)


def page(client, patient, query="", **headers):
    response = client.get(reverse("patients:detail", args=[patient.pk]) + query, **headers)
    assert response.status_code == 200
    return response.content.decode()


def chart_only(html):
    """The page without what differs from one read to the next: the request's CSRF token
    and the Recent access lines."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
    return re.sub(r'<ul class="plain events">.*?</ul>', "", html, flags=re.S)


def test_a_chart_read_again_shows_the_same_without_drawing_it(doctor_client, patient, doctor, draws):
    complaint = pm.Complaint.objects.create(patient=patient, description="Migraine", nrs=6,
                                            regions=[{"choir": 116, "side": "right"}])
    pm.Complaint.objects.filter(pk=complaint.pk).update(description="Migraine, left")
    pm.ChartReview.objects.create(patient=patient, kind="allergies", date="2026-11-02", recorded_by=doctor)
    first = page(doctor_client, patient)
    second = page(doctor_client, patient)
    assert len(draws) == 1
    assert chart_only(second) == chart_only(first)
    assert "Migraine, left" in second and "No known drug allergies" in second


def test_every_kind_of_change_shows_in_the_next_read(doctor_client, patient, doctor, draws):
    complaint = pm.Complaint.objects.create(patient=patient, description="Migraine", nrs=6)
    assert "Migraine" in page(doctor_client, patient)
    pm.Complaint.objects.filter(pk=complaint.pk).update(description="Neck pain")  # no save(), no signal
    assert "Neck pain" in page(doctor_client, patient)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE patients_complaint SET description = 'Back pain' WHERE id = %s", [complaint.pk])
    assert "Back pain" in page(doctor_client, patient)
    pm.Allergy.objects.create(patient=patient, substance="latex", allergy_class="other")
    assert "latex (" in page(doctor_client, patient)
    assert len(draws) == 4


def test_an_edit_between_the_patients_read_and_the_stamps_is_not_kept_as_older(doctor_client, clinic, monkeypatch):
    """The page reads the patient, then the stamp. An edit committed in between renews the
    stamp: what is drawn and kept under the new stamp shows the patient as edited."""
    patient = make_patient(clinic, family="Alt", sex="male", birth_date="1990-01-01")
    real = views.stamp_key
    edited = []

    def with_an_edit_first(p):
        if not edited:  # another request saves the patient's details just now
            pm.Patient.objects.filter(pk=p.pk).update(family_name="Neu", sex="female")
            edited.append(1)
        return real(p)

    monkeypatch.setattr(views, "stamp_key", with_an_edit_first)
    page(doctor_client, patient)
    monkeypatch.setattr(views, "stamp_key", real)
    kept = page(doctor_client, patient)
    assert "<h1>Neu, " in kept and "Not applicable (male)" not in kept


def test_a_renamed_colleague_shows_at_once(doctor_client, patient, doctor, draws):
    doctor.first_name, doctor.last_name = "Anna", "Weber"
    doctor.save()
    pm.ChartReview.objects.create(patient=patient, kind="allergies", date="2026-11-02", recorded_by=doctor)
    assert "(Anna Weber)" in page(doctor_client, patient)
    get_user_model().objects.filter(pk=doctor.pk).update(last_name="Weber-Kraus")  # no signal: the stamp
    assert "(Anna Weber-Kraus)" in page(doctor_client, patient)
    assert len(draws) == 2


def test_a_login_keeps_the_drawing(client, patient, doctor, draws):
    """Signing in writes the user's row (the time of the login), not a name: nothing is drawn anew."""
    pm.ChartReview.objects.create(patient=patient, kind="allergies", date="2026-11-02", recorded_by=doctor)
    page(login_verified(client, doctor), patient)
    page(login_verified(Client(), doctor), patient)
    assert len(draws) == 1


def test_the_clinics_name_and_knowledge_base_are_part_of_the_key(doctor_client, clinic, draws):
    patient = make_patient(clinic, birth_date="1992-05-05")
    pm.PregnancyStatus.objects.create(patient=patient, date=timezone.localdate() - datetime.timedelta(days=10),
                                      status="not_pregnant")
    assert "Out of date" not in page(doctor_client, patient)
    ClinicOverride.objects.create(clinic=clinic, kind="safety-rule", entry_id="pregnancy_status",
                                  data={"valid_days": 7}, reason="Stricter local policy")
    assert "older than 7 days" in page(doctor_client, patient)
    type(clinic).objects.filter(pk=clinic.pk).update(name="Praxis am Markt")
    assert "Praxis am Markt" in page(doctor_client, patient)
    assert len(draws) == 3


def test_the_next_day_draws_anew(doctor_client, clinic, draws, monkeypatch):
    """A pregnancy status goes out of date, and an age changes, with the day alone."""
    patient = make_patient(clinic, birth_date="1992-05-05")
    pm.PregnancyStatus.objects.create(patient=patient, date=timezone.localdate() - datetime.timedelta(days=29),
                                      status="not_pregnant")
    assert "Out of date" not in page(doctor_client, patient)
    today = timezone.localdate()
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: today + datetime.timedelta(days=2))
    assert "Out of date" in page(doctor_client, patient)
    assert len(draws) == 2


def test_each_language_and_what_is_asked_for_has_its_own_drawing(doctor_client, patient, draws):
    pm.Complaint.objects.create(patient=patient, description="Migraine", nrs=6)
    assert "Complaints" in page(doctor_client, patient)
    german = page(doctor_client, patient, HTTP_ACCEPT_LANGUAGE="de")
    assert "Beschwerden" in german and "doctor · Ansicht ×2" in german  # Recent access in the page's language
    pm.Complaint.objects.filter(patient=patient).update(entered_in_error_at=timezone.now())
    hidden = page(doctor_client, patient)
    shown = page(doctor_client, patient, "?in_error=shown")
    assert "is hidden" in hidden and "Hide them" not in hidden
    assert "Hide them" in shown
    assert chart_only(page(doctor_client, patient)) == chart_only(hidden)
    assert len(draws) == 4


def test_what_a_role_may_open_is_not_shared(doctor_client, clinic, patient, draws):
    """A practitioner's chart offers the proposals from imports; an assistant's does not,
    though the practitioner's drawing is kept."""
    link = reverse("imports:proposals", args=[patient.pk])
    assert link in page(doctor_client, patient)
    assistant = login_verified(Client(), make_user("assistant", clinic, "assistant", ""))
    assert link not in page(assistant, patient)
    assert len(draws) == 2


def test_the_forms_of_a_kept_chart_post_with_the_requests_token(doctor, patient, draws):
    client = login_verified(Client(enforce_csrf_checks=True), doctor)
    form = re.compile(r'action="%s" class="inline"><input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)"'
                      % reverse("patients:review_today", args=[patient.pk]))
    first = form.findall(page(client, patient))
    html = page(client, patient)
    kept = form.findall(html)
    assert len(draws) == 1 and len(kept) == 2 and views._CSRF_MARK not in html
    assert set(kept).isdisjoint(first)  # each read's own
    response = client.post(reverse("patients:review_today", args=[patient.pk]),
                           {"kind": "allergies", "csrfmiddlewaretoken": kept[0]})
    assert response.status_code == 302
    assert pm.ChartReview.objects.filter(patient=patient, kind="allergies").exists()


def test_the_safety_strip_and_recent_access_are_read_every_time(doctor_client, patient, draws, monkeypatch):
    """A kept read's strip comes from the patient's kept case, worked out for the moment
    of the read, and leaves the kept case as it was."""
    pm.Medication.objects.create(patient=patient, name="Apixaban", medication_class="anticoagulant",
                                 last_dose=timezone.now() - datetime.timedelta(hours=3))
    pm.Allergy.objects.create(patient=patient, substance="latex", allergy_class="other")
    pm.WeightMeasurement.objects.create(patient=patient, date="2026-11-02", weight_kg=64)
    checked = []
    real = safety_tags.strip_facts
    monkeypatch.setattr(safety_tags, "strip_facts", lambda *args, **kwargs: checked.append(1) or real(*args, **kwargs))
    first = page(doctor_client, patient)
    kept = copy.deepcopy(kept_case(patient))
    second = page(doctor_client, patient)
    assert len(draws) == 1 and len(checked) == 2
    strip = re.compile(r'<section class="safety-strip.*?</section>', re.S)
    assert strip.search(second).group(0) == strip.search(first).group(0)
    assert "Apixaban" in strip.search(second).group(0) and "latex" in strip.search(second).group(0)
    assert kept_case(patient) == kept
    assert "doctor · View ×2" in second and "×2" not in first  # this read, on the card it did not draw


def test_without_stamps_nothing_is_kept(doctor_client, patient, draws):
    with without_stamps():
        page(doctor_client, patient)
        page(doctor_client, patient)
    assert len(draws) == 2


def test_without_the_peoples_stamp_nothing_is_kept(doctor_client, patient, draws):
    pm.PatientStamp.objects.filter(clinic_id=0, patient_id=0).delete()
    page(doctor_client, patient)
    page(doctor_client, patient)
    assert len(draws) == 2
