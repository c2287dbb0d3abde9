"""The clinic's letterhead (address, phone, e-mail, letterhead text, logo) in a real browser,
filled as an admin would; the logo is kept under MEDIA_ROOT, never in the package."""

import io
from pathlib import Path

import pytest
from PIL import Image

from segmenta.accounts.tests.test_browser_clinic_retention import open_settings
from segmenta.audit.models import AuditEvent

pytestmark = pytest.mark.browser


def png(path):
    Image.new("RGB", (120, 40), (20, 90, 160)).save(path, format="PNG")
    return path


def test_admin_fills_the_letterhead_and_uploads_a_logo(page, settings, admin_user, clinic, tmp_path):
    settings.SEGMENTA_REQUIRE_MFA = False
    open_settings(page)
    page.get_by_label("Address").click()
    page.keyboard.type("Hauptstraße 5")
    page.keyboard.press("Enter")
    page.keyboard.type("  10115 Berlin  ")
    page.get_by_label("Phone").fill("+49 30 1234567")
    page.get_by_label("E-mail").fill("praxis@example.org")
    page.get_by_label("Letterhead text").fill("Dr. med. Boss, Neuraltherapie")
    page.get_by_label("Logo").set_input_files(str(png(tmp_path / "logo.png")))
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_url("**/accounts/clinic/")
    assert page.get_by_role("status").get_by_text("Settings of Praxis Nord saved").is_visible()
    clinic.refresh_from_db()
    assert clinic.address == "Hauptstraße 5\n10115 Berlin"
    assert (clinic.phone, clinic.email, clinic.letterhead) == (
        "+49 30 1234567", "praxis@example.org", "Dr. med. Boss, Neuraltherapie")
    stored = Path(clinic.logo.path).resolve()
    assert stored.is_file() and Path(settings.MEDIA_ROOT).resolve() in stored.parents
    assert settings.PACKAGE_DIR not in stored.parents
    assert Image.open(io.BytesIO(stored.read_bytes())).size == (120, 40)
    # The page shows the stored logo as printed (uploads are not served: a data URI).
    assert page.get_by_role("img", name="The clinic's logo as printed").get_attribute("src").startswith(
        "data:image/png;base64,")
    changes = AuditEvent.objects.get(action="update", object_type="clinic").detail["settings"]
    assert changes["phone"] == ["", "+49 30 1234567"] and changes["logo"][1] == clinic.logo.name

    # Removing the logo deletes its file.
    page.get_by_label("Remove the logo").check()
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_url("**/accounts/clinic/")
    clinic.refresh_from_db()
    assert not clinic.logo and not stored.exists()


def test_a_file_that_is_no_image_is_refused_naming_the_field(page, settings, admin_user, clinic, tmp_path):
    settings.SEGMENTA_REQUIRE_MFA = False
    open_settings(page)
    fake = tmp_path / "logo.png"
    fake.write_text("not an image")
    page.get_by_label("Logo").set_input_files(str(fake))
    page.get_by_label("E-mail").fill("not an address")
    page.get_by_role("button", name="Save settings").click()
    assert page.locator(".field.invalid").filter(has=page.get_by_label("Logo")).count() == 1
    assert page.locator(".field.invalid").filter(has=page.get_by_label("E-mail")).count() == 1
    clinic.refresh_from_db()
    assert not clinic.logo and clinic.email == ""
