import datetime as dt

from django.urls import reverse

from segmenta.audit.trail import record


def test_clinic_admin_searches_by_patient(admin_client, doctor, patient, clinic):
    from segmenta.conftest import make_patient

    other = make_patient(clinic, family="Zweite")
    record("view", user=doctor, patient=patient, obj=patient)
    record("view", user=doctor, patient=other, obj=other)
    page = admin_client.get(reverse("audit:search") + f"?patient={patient.pk}")
    events = list(page.context["page"])
    assert [e.patient_id for e in events] == [patient.pk]


def test_search_by_user_action_and_date(admin_client, doctor, admin_user, patient):
    record("view", user=doctor, patient=patient, obj=patient)
    record("update", user=doctor, patient=patient, obj=patient)
    record("view", user=admin_user, patient=patient, obj=patient)
    today = dt.date.today().isoformat()
    page = admin_client.get(reverse("audit:search"), {"user": "doctor", "action": "update",
                                                      "date_from": today, "date_to": today})
    assert [(e.username, e.action) for e in page.context["page"]] == [("doctor", "update")]
    empty = admin_client.get(reverse("audit:search"), {"date_to": "2000-01-01"})
    assert list(empty.context["page"]) == []


def test_audit_search_names_a_bad_filter(admin_client):
    response = admin_client.get(reverse("audit:search"), {"patient": "abc", "date_from": "2025-13-40"})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"patient", "date_from"}


def test_admins_do_not_see_another_clinics_trail(admin_client, outsider, foreign_patient):
    record("view", user=outsider, patient=foreign_patient, obj=foreign_patient)
    page = admin_client.get(reverse("audit:search"))
    assert all(e.patient_id != foreign_patient.pk for e in page.context["page"])


def test_practitioners_cannot_open_the_audit_trail(doctor_client):
    assert doctor_client.get(reverse("audit:search")).status_code == 404


def test_api_answers_the_trail_of_a_patient_with_usernames(admin_api_client, doctor, patient):
    record("view", user=doctor, patient=patient, obj=patient)
    response = admin_api_client.get(reverse("api:audit_events") + f"?patient={patient.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    item = body["items"][0]
    assert (item["username"], item["patient"], item["action"]) == ("doctor", patient.pk, "view")


def test_reading_a_patient_through_the_api_shows_up_in_its_trail(admin_api_client, api_client, patient):
    api_client.get(reverse("api:read_patient", args=[patient.pk]), REMOTE_ADDR="10.9.8.7")
    items = admin_api_client.get(reverse("api:audit_events") + f"?patient={patient.pk}").json()["items"]
    assert [(i["username"], i["action"], i["source_ip"]) for i in items] == [("doctor", "view", "10.9.8.7")]


def test_api_audit_is_for_clinic_admins_only(api_client):
    response = api_client.get(reverse("api:audit_events"))
    assert response.status_code == 403


def test_api_audit_names_a_bad_filter(admin_api_client):
    response = admin_api_client.get(reverse("api:audit_events") + "?patient=abc")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "patient"
    response = admin_api_client.get(reverse("api:audit_events") + "?action=dance")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "action"


def test_objects_read_as_words_not_as_internal_names(admin_client, doctor, patient, clinic):
    from segmenta.patients.models import PregnancyStatus

    status = PregnancyStatus.objects.create(patient=patient, date=dt.date.today(), status="not_pregnant")
    record("update", user=doctor, patient=patient, obj=status)
    record("view", user=doctor, clinic=clinic, object_type="patient_list")
    html = admin_client.get(reverse("audit:search")).content.decode()
    assert f"pregnancy status #{status.pk}" in html.lower() and "pregnancystatus" not in html
    assert "patient list" in html and "patient_list" not in html
