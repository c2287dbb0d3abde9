"""Holes found in review, each closed and kept closed."""

import time

from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from segmenta.accounts.models import Membership
from segmenta.audit.models import AuditEvent
from segmenta.audit.trail import client_ip, record, verify
from segmenta.conftest import PASSWORD, add_totp, login_verified


def test_a_user_with_an_authenticator_needs_it_even_when_mfa_is_optional(settings, doctor, patient):
    settings.SEGMENTA_REQUIRE_MFA = False
    add_totp(doctor)
    client = Client()
    client.post(reverse("accounts:login"), {"username": "doctor", "password": PASSWORD})
    response = client.get(reverse("patients:detail", args=[patient.pk]))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:mfa"))


def test_next_survives_the_second_factor_step(doctor):
    add_totp(doctor)
    client = Client()
    response = client.post(reverse("accounts:login") + "?next=/patients/%3Fq%3Da%26page%3D2",
                           {"username": "doctor", "password": PASSWORD, "next": "/patients/?q=a&page=2"})
    assert "next=%2Fpatients%2F%3Fq%3Da%26page%3D2" in response.url


def test_ipv4_mapped_addresses_do_not_break_the_chain(doctor_client, patient):
    doctor_client.get(reverse("patients:detail", args=[patient.pk]), REMOTE_ADDR="::ffff:10.0.0.1")
    event = AuditEvent.objects.get(action="view", patient=patient)
    assert event.source_ip == "10.0.0.1"
    assert verify()[1] == []


def test_ipv6_addresses_are_stored_as_hashed(doctor_client, patient):
    doctor_client.get(reverse("patients:detail", args=[patient.pk]), REMOTE_ADDR="2001:DB8:0:0::1")
    assert AuditEvent.objects.get(action="view").source_ip == "2001:db8::1"
    assert verify()[1] == []


def test_behind_a_proxy_the_client_address_comes_from_x_forwarded_for(settings, rf):
    settings.SEGMENTA_PROXY_COUNT = 1
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7")
    assert client_ip(request) == "198.51.100.7"
    settings.SEGMENTA_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.2"


def test_nul_characters_are_a_clear_400_on_pages_and_a_422_naming_the_field_in_the_api(doctor_client, api_client):
    assert doctor_client.get(reverse("patients:list") + "?q=%00").status_code == 400
    response = api_client.get(reverse("api:list_patients") + "?q=%00")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "q"
    response = api_client.post(reverse("api:create_patient"), '{"family_name": "a\\u0000", "given_name": "b", '
                               '"birth_date": "1970-01-01", "sex": "male"}', content_type="application/json")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "family_name"


def test_absurd_dates_and_numbers_in_filters_are_4xx(admin_client, admin_api_client, api_client):
    for query in ("date_from=0001-01-01", "patient=99999999999999999999"):
        assert admin_client.get(reverse("audit:search") + "?" + query).status_code == 400
        assert admin_api_client.get(reverse("api:audit_events") + "?" + query).status_code == 422
    for query in ("clinic=99999999999999999999", "limit=99999999999999999999", "offset=99999999999999999999"):
        assert api_client.get(reverse("api:list_patients") + "?" + query).status_code == 422


def test_clinic_admin_sees_failed_logins_of_members(admin_client, doctor):
    Client().post(reverse("accounts:login"), {"username": "doctor", "password": "wrong-password"})
    page = admin_client.get(reverse("audit:search") + "?action=login_failed")
    assert [e.username for e in page.context["page"]] == ["doctor"]


def test_work_in_another_clinic_stays_out_of_this_clinics_trail(admin_client, doctor, other_clinic,
                                                                foreign_patient):
    Membership.objects.create(user=doctor, clinic=other_clinic, role="practitioner")
    login_verified(Client(), doctor).get(reverse("patients:list") + "?q=Fremd")
    page = admin_client.get(reverse("audit:search") + "?user=doctor")
    assert all("Fremd" not in str(e.detail) and e.clinic_id != other_clinic.pk for e in page.context["page"])


def test_list_views_are_recorded_per_clinic_with_the_patients_shown(doctor_client, patient, clinic):
    doctor_client.get(reverse("patients:list"))
    event = AuditEvent.objects.get(action="view", object_type="patient_list")
    assert event.clinic_id == clinic.pk and event.detail["patients"] == [patient.pk]


def test_admin_cannot_reset_the_second_factor_of_someone_in_another_clinic(admin_client, doctor, other_clinic):
    Membership.objects.create(user=doctor, clinic=other_clinic, role="admin")
    add_totp(doctor)
    session = admin_client.session
    session["reauth_at"] = time.time()
    session.save()
    admin_client.post(reverse("accounts:member_reset_mfa", args=[doctor.memberships.get(clinic__name="Praxis Nord").pk]))
    assert TOTPDevice.objects.filter(user=doctor).exists()


def test_an_empty_patch_changes_nothing_and_claims_nothing(api_client, patient):
    response = api_client.patch(reverse("api:update_patient", args=[patient.pk]), {},
                                content_type="application/json")
    assert response.status_code == 200
    assert not AuditEvent.objects.filter(action="update").exists()


def test_revoking_twice_records_one_revocation(doctor, doctor_client):
    from segmenta.accounts.models import ApiToken

    token, _raw = ApiToken.issue(doctor)
    for _ in range(2):
        doctor_client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert AuditEvent.objects.filter(object_type="apitoken", action="delete").count() == 1


def test_audit_api_gives_the_time_exactly_as_hashed(admin_api_client, doctor, patient):
    event = record("view", user=doctor, patient=patient, obj=patient)
    item = admin_api_client.get(reverse("api:audit_events") + f"?patient={patient.pk}").json()["items"][0]
    assert item["at"] == event.at.isoformat() and item["prev_hash"] == event.prev_hash
