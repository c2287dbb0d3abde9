"""Continuing education in a real browser: a practitioner records a certificate as a person
would (its file uploaded), replaces a record's certificate with a new file, sets the start of
their CME period, and a clinic admin sets the team's own requirement; each checked against what
was stored."""
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from segmenta.accounts.models import TrainingRecord
from segmenta.conftest import browser_login
from segmenta.learning.models import ClinicRequirement, TrainingCycle
from segmenta.learning.tests.test_training_pages import german_clinic  # noqa: F401 (a fixture)

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4 a certificate of completion"


def test_a_practitioner_records_a_certificate_with_its_file(page, settings, german_clinic, doctor, tmp_path):
    settings.SEGMENTA_REQUIRE_MFA = False
    certificate = tmp_path / "certificate.pdf"
    certificate.write_bytes(PDF)
    today = timezone.localdate()
    browser_login(page)
    page.goto("/learn/training/")
    page.get_by_role("link", name="Add a record").click()
    page.get_by_label("Kind").select_option(label="Diploma")
    page.get_by_label("Title").fill("Diplom Neuraltherapie")
    page.get_by_label("Awarding body").select_option(label="IGNH (International Medical Society for Neural "
                                                           "Therapy after Huneke)")
    page.get_by_label("Provider or organiser").fill("IGNH Freudenstadt")
    page.get_by_label(re.compile(r"^Date")).fill((today - timedelta(days=20)).isoformat())
    page.get_by_label("CME credits").fill("32")
    page.get_by_label("Valid until").fill((today + timedelta(days=60)).isoformat())
    page.get_by_label("Hours").fill("40")
    page.get_by_label("Wheal (intracutaneous)").check()
    page.get_by_label("Stellate ganglion").check()
    page.get_by_label("Certificate").set_input_files(str(certificate))
    page.get_by_role("button", name="Save record").click()
    page.wait_for_url("**/learn/training/")

    item = TrainingRecord.objects.get(profile__user=doctor)
    assert (item.kind, item.course, item.awarding_body, item.provider) == (
        "diploma", "Diplom Neuraltherapie", "ignh", "IGNH Freudenstadt")
    assert (item.date, item.credits, item.expiry, item.hours) == (
        today - timedelta(days=20), Decimal("32"), today + timedelta(days=60), Decimal("40"))
    assert sorted(item.techniques) == ["stellate", "wheal"] and item.certificate.read() == PDF
    assert page.get_by_text("218 points missing now").is_visible()
    assert page.get_by_text("Diplom Neuraltherapie: valid until").is_visible()

    # The period's start: fixed periods from then on, the missing points due at its end.
    start = today - timedelta(days=400)
    page.get_by_label("My period started on").fill(start.isoformat())
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url("**/learn/training/")
    assert TrainingCycle.objects.get(user=doctor).starts == start
    assert page.get_by_text("218 points missing by").is_visible()


def test_a_practitioner_replaces_a_records_certificate_and_the_old_file_goes(page, settings, german_clinic, doctor,
                                                                            tmp_path):
    settings.SEGMENTA_REQUIRE_MFA = False
    item = TrainingRecord.objects.create(profile=doctor.profile, course="Grundkurs", provider="IGNH", hours=8,
                                         date=timezone.localdate(), kind="course")
    item.certificate.save("old.pdf", ContentFile(PDF))
    old_name, storage = item.certificate.name, item.certificate.storage
    assert storage.exists(old_name)
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(PDF + b", scanned again")
    browser_login(page)
    page.goto("/learn/training/")
    page.get_by_role("link", name="Edit Grundkurs").click()
    assert page.get_by_text("A certificate is on file; a new file replaces it.").is_visible()
    page.get_by_label("Hours").fill("12")
    page.get_by_label("Certificate").set_input_files(str(scan))
    page.get_by_role("button", name="Save record").click()
    page.wait_for_url("**/learn/training/")

    item.refresh_from_db()
    assert item.hours == Decimal("12") and item.certificate.name != old_name
    assert item.certificate.read() == PDF + b", scanned again"
    assert not storage.exists(old_name)  # the replaced file is gone from storage


def test_a_clinic_admin_sets_the_teams_requirement(page, settings, german_clinic, admin_user, doctor):
    settings.SEGMENTA_REQUIRE_MFA = False
    TrainingRecord.objects.create(profile=doctor.profile, course="Refresher", provider="DGfAN", hours=8,
                                  date=timezone.localdate(), credits=6, awarding_body="dgfan", kind="course")
    browser_login(page, "boss")
    page.goto("/learn/training/team/")
    page.get_by_role("link", name="Clinic requirements").click()
    page.get_by_label("Name").fill("Neural therapy refresher")
    page.get_by_label(re.compile(r"^Credits")).fill("16")
    page.get_by_label("Period (years)").fill("2")
    page.get_by_label("Course", exact=True).check()
    page.get_by_label("DGfAN (German Society for Acupuncture and Neural Therapy)").check()
    page.get_by_label("Applies to role").select_option(label="Practitioner")
    page.get_by_role("button", name="Save requirement").click()
    page.wait_for_url("**/learn/training/requirements/**")

    own = ClinicRequirement.objects.get()
    assert (own.clinic, own.name, own.credits, own.period_years) == (german_clinic, "Neural therapy refresher", 16, 2)
    assert (own.kinds, own.awarding_bodies, own.role, own.cycle_start) == (["course"], ["dgfan"], "practitioner", None)
    page.get_by_role("link", name="Team").click()
    row = page.locator(f"#member-{doctor.pk}")
    assert "Neural therapy refresher: 10 points missing now" in row.inner_text()
