"""A clinic's retention period on its settings page: the jurisdiction's period from the
knowledge base by default, the clinic's own when set (audited), never shorter than the law
where the clinic practises, and a plain notice where no period is known."""

import pytest
from django.urls import reverse

from segmenta.audit.models import AuditEvent
from segmenta.conftest import reauthenticated


@pytest.fixture
def admin(admin_client):
    return reauthenticated(admin_client)


def save(client, clinic, **values):
    data = {"jurisdiction": clinic.jurisdiction, "crisis_contacts": clinic.crisis_contacts,
            "reassess_after": clinic.reassess_after, "retention_years": clinic.retention_years or ""}
    data.update(values)
    return client.post(reverse("accounts:clinic_settings_save", args=[clinic.pk]),
                       {f"clinic-{clinic.pk}-{name}": value for name, value in data.items()})


def settings_page(client):
    return client.get(reverse("accounts:clinic_settings")).content.decode()


def test_a_german_clinic_keeps_charts_ten_years_by_default(admin, clinic):
    clinic.jurisdiction = "DE"
    clinic.save()
    assert "Charts are kept 10 years after the last treatment, as the law of Germany requires." in settings_page(admin)


def test_the_clinic_sets_a_longer_period_of_its_own_audited(admin, clinic):
    clinic.jurisdiction = "DE"
    clinic.save()
    response = save(admin, clinic, retention_years="30")
    assert response.status_code == 302
    clinic.refresh_from_db()
    assert clinic.retention_years == 30
    event = AuditEvent.objects.get(action="update", object_type="clinic")
    assert event.detail["settings"] == {"retention_years": [None, 30]}
    assert "Charts are kept 30 years after the last treatment: the clinic's own period." in settings_page(admin)


def test_a_period_shorter_than_the_law_is_refused_naming_the_field(admin, clinic):
    response = save(admin, clinic, jurisdiction="DE", retention_years="5")
    assert response.status_code == 400
    assert list(response.context["clinics"][0]["form"].errors) == ["retention_years"]
    assert "At least 10 years where the clinic practises (DE)" in response.content.decode()
    clinic.refresh_from_db()
    assert clinic.retention_years is None


def test_a_period_outside_one_to_a_hundred_years_is_named(admin, clinic):
    response = save(admin, clinic, retention_years="0")
    assert response.status_code == 400
    assert list(response.context["clinics"][0]["form"].errors) == ["retention_years"]


def test_without_a_known_period_the_page_says_the_clinic_must_set_one(admin, clinic):
    assert "No retention period is known for your clinic" in settings_page(admin)  # no jurisdiction
    clinic.jurisdiction = "CH"
    clinic.save()
    page = settings_page(admin)
    assert "No retention period is known for your clinic" in page and "canton" in page
    save(admin, clinic, retention_years="20")
    assert "No retention period is known" not in settings_page(admin)
