"""A clinic admin records the course's CME accreditation in a real browser; a wrong number is
said beside its field and nothing is stored."""

from decimal import Decimal

import pytest

from segmenta.conftest import browser_login
from segmenta.learning.models_courses import CourseAccreditation

pytestmark = pytest.mark.browser


def test_a_clinic_admin_records_the_accreditation_and_the_course_page_names_it(page, settings, admin_user, clinic):
    settings.SEGMENTA_REQUIRE_MFA = False
    browser_login(page, "boss")
    page.goto("/learn/courses/")
    assert page.get_by_text("It is not an accredited CME credit").is_visible()
    page.get_by_role("link", name="CME accreditation").click()
    page.get_by_label("Accredited by").fill("Ärztekammer Nordrhein")
    page.get_by_label("CME credits").fill("-2")
    page.get_by_role("button", name="Save").click()
    assert page.locator(".field.invalid").get_by_text("greater than or equal to 0").is_visible()
    assert not CourseAccreditation.objects.exists()
    page.get_by_label("CME credits").fill("12.5")
    page.get_by_label("Accreditation reference").fill("NT-2026-17")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/learn/courses/")
    assert page.get_by_text("accredited by Ärztekammer Nordrhein for 12.5 CME credits").is_visible()
    saved = CourseAccreditation.objects.get()
    assert (saved.clinic, saved.accredited_by, saved.credits, saved.reference, saved.recorded_by) == (
        clinic, "Ärztekammer Nordrhein", Decimal("12.5"), "NT-2026-17", admin_user)
