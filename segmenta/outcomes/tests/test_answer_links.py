import re

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from segmenta.audit.models import AuditEvent
from segmenta.outcomes.models import AnswerLink, Response
from segmenta.patients import plot

PHQ = {f"phq9-{i}": "several_days" for i in range(1, 10)}


def make_link(doctor_client, patient, instrument="phq-9"):
    response = doctor_client.post(reverse("outcomes:link_create", args=[patient.pk]),
                                  {"instrument": instrument, "hours": "72"})
    return re.search(r"/q/[\w-]+/", response.content.decode()).group(0)


def test_a_patient_answers_through_a_link_without_logging_in(doctor_client, patient):
    url = make_link(doctor_client, patient)
    anonymous = Client()
    assert anonymous.get(url).status_code == 200
    done = anonymous.post(url, PHQ)
    assert done.status_code == 200 and "Thank you" in done.content.decode()
    response = Response.objects.get()
    assert (response.patient, response.total, response.band, response.entered_by) == (patient, 9, "mild", None)
    assert response.resource["resourceType"] == "QuestionnaireResponse"
    event = AuditEvent.objects.get(action="create", object_type="response")
    assert event.username == "patient (answer link)" and event.patient_id == patient.pk


def test_a_link_works_once(doctor_client, patient):
    url = make_link(doctor_client, patient)
    Client().post(url, PHQ)
    assert Client().get(url).status_code == 410
    assert Client().post(url, PHQ).status_code == 410
    assert Response.objects.count() == 1


def test_an_expired_link_is_refused(doctor_client, patient):
    url = make_link(doctor_client, patient)
    AnswerLink.objects.update(expires_at=timezone.now() - timezone.timedelta(minutes=1))
    assert Client().get(url).status_code == 410


def test_a_link_shows_only_its_questionnaire_and_no_patient_data(doctor_client, patient):
    html = Client().get(make_link(doctor_client, patient)).content.decode()
    assert "PHQ-9" in html and patient.family_name not in html and "GAD-7" not in html


def test_missing_answers_are_named(doctor_client, patient):
    url = make_link(doctor_client, patient)
    response = Client().post(url, {k: v for k, v in PHQ.items() if k != "phq9-9"})
    assert response.status_code == 400 and "phq9-9" in response.context["form"].errors
    assert not Response.objects.exists()


def test_unknown_tokens_are_refused(db):
    assert Client().get("/q/not-a-token/").status_code == 410


def test_staff_can_enter_answers(doctor_client, patient, doctor):
    doctor_client.post(reverse("outcomes:enter", args=[patient.pk, "nrs-11"]), {"now": "6", "average": "5",
                                                                                "worst": "8"})
    response = Response.objects.get()
    assert (response.total, response.entered_by) == (6, doctor)
    html = doctor_client.get(reverse("outcomes:questionnaires", args=[patient.pk])).content.decode()
    assert "Pain intensity (NRS-11)" in html


def test_links_for_another_clinics_patient_cannot_be_made(doctor_client, foreign_patient):
    response = doctor_client.post(reverse("outcomes:link_create", args=[foreign_patient.pk]),
                                  {"instrument": "phq-9", "hours": "72"})
    assert response.status_code == 404 and not AnswerLink.objects.exists()


def test_scores_over_time_are_drawn_on_the_instruments_scale(doctor_client, patient):
    for answers in ({f"phq9-{i}": "nearly_every_day" for i in range(1, 10)},
                    {f"phq9-{i}": "not_at_all" for i in range(1, 10)}):
        doctor_client.post(reverse("outcomes:enter", args=[patient.pk, "phq-9"]), answers)
    html = doctor_client.get(reverse("outcomes:questionnaires", args=[patient.pk])).content.decode()
    # 27, the scale's top, at the top of the plot; 0 at its bottom.
    line = re.search(r'<polyline points="([^"]+)" class="course-line">', html).group(1)
    assert [float(point.split(",")[1]) for point in line.split()] == [plot.TOP, plot.TOP + plot.PLOT_HEIGHT]
