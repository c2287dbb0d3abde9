"""The session page in the treatment room, at tablet size: the live verdict with dose, running
total and what is left of the day's limit, a routine wheal charted with the keyboard alone in
fewer than 15 key presses, a late response, a mistaken injection removed, an empty draft
discarded, and a phone that shows the whole injection list."""

from datetime import timedelta

import pytest
from django.utils import timezone

from segmenta.accounts.models import TrainingRecord
from segmenta.conftest import browser_login, complete_chart
from segmenta.knowledge import vocabulary
from segmenta.patients import models as pm
from segmenta.treatment.models import Injection, Product, Session

pytestmark = pytest.mark.browser


@pytest.fixture
def room(settings, doctor, patient):
    """A trained physician, a patient whose chart is complete, a product on the shelf and a
    session started a few minutes ago."""
    settings.SEGMENTA_REQUIRE_MFA = False
    TrainingRecord.objects.create(profile=doctor.profile, course="Basic", provider="Society", date="2020-01-01",
                                  hours=40, techniques=vocabulary.codes("injection_target"))
    pm.WeightMeasurement.objects.create(patient=patient, date=timezone.localdate(), weight_kg=70)
    complete_chart(patient, doctor)
    product = Product.objects.create(clinic=patient.clinic, name="Procaine 1 % 2 mL ampoule", drug="procaine",
                                     concentration_percent=1)
    session = Session.objects.create(patient=patient, started_at=timezone.now() - timedelta(minutes=5),
                                     practitioner=doctor)
    return session, product


def saved(session, order, ml=1, **extra):
    return Injection.objects.create(session=session, order=order, time=session.started_at, target="scar",
                                    concentration_percent=1, volume_ml=ml, verdict="ok", mg=10 * ml,
                                    cumulative_mg=10 * ml * order, **extra)


def in_view(page, selector):
    box = page.locator(selector).bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= page.viewport_size["height"] + 1


def test_the_live_verdict_shows_dose_total_and_what_is_left_and_stays_in_view(page, doctor, room):
    session, _product = room
    saved(session, 1, ml=2, performed_by=doctor)
    browser_login(page)
    page.goto(f"/sessions/{session.pk}/")
    page.get_by_label("Target").select_option("paravertebral")
    page.get_by_label("Product").select_option(label="Procaine 1 % 2 mL ampoule")
    # The product fills in and locks drug and strength.
    assert page.get_by_label("Drug").input_value() == "procaine" and page.get_by_label("Drug").is_disabled()
    page.get_by_label("Volume (mL)").fill("4")
    page.get_by_label("Aspirated before injecting").check()
    verdict = page.locator("#verdict.verdict-warn, #verdict.verdict-ok")
    verdict.wait_for()
    page.wait_for_load_state("networkidle")
    text = page.locator("#verdict").inner_text()
    assert "40 mg" in text and "60 mg in this session" in text and "Left within 24 h after it" in text
    assert in_view(page, "#verdict")

    # Pressed from the keyboard, "Check safety" keeps the verdict in view and the focus on itself.
    page.get_by_role("button", name="Check safety").focus()
    # The check answers over htmx: wait for its answer and the swap, not for a moment of quiet
    # that can come before the request on a busy machine.
    with page.expect_response(lambda response: "/injections/check/" in response.url):
        page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    page.wait_for_function("""() => { const box = document.querySelector("#verdict").getBoundingClientRect();
                                      return box.top >= 0 && box.bottom <= window.innerHeight + 1; }""",
                           timeout=5000)
    assert in_view(page, "#verdict")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Check safety"
    assert not Injection.objects.filter(target="paravertebral").exists()

    # Portrait, scrolled to the last of the rarer fields: the verdict is still there.
    page.set_viewport_size({"width": 768, "height": 1024})
    page.locator("#add-injection summary").click()
    page.locator("#add-injection").get_by_label("Relief lasted (h)").scroll_into_view_if_needed()
    assert in_view(page, "#verdict")
    with page.expect_navigation():
        page.get_by_role("button", name="Save injection").click()
    injection = Injection.objects.get(target="paravertebral")
    assert (float(injection.cumulative_mg), injection.aspiration_done, injection.drug) == (60.0, True, "procaine")


def test_a_routine_wheal_takes_fewer_than_15_key_presses_from_the_page_top(page, doctor, room):
    session, product = room
    browser_login(page)
    page.goto(f"/sessions/{session.pk}/")
    page.wait_for_function("document.activeElement && document.activeElement.name === 'injection-target'")
    presses = []

    def press(key):
        presses.append(key)
        page.keyboard.press(key)

    press("w")            # target: Wheal
    press("Tab")          # to the body map, one stop
    press("l")            # Low back, left: the first segment whose name starts with L
    press("Space")        # picked
    press("Tab")          # to the product
    press("ArrowDown")    # the first product on the shelf
    press("Tab")          # to the volume
    for key in "0.5":
        press(key)
    # A glance at the verdict before saving (no key pressed): 5 mg, checked.
    page.locator("#verdict.verdict-ok, #verdict.verdict-warn").filter(has_text="5 mg this injection").wait_for()
    page.wait_for_load_state("networkidle")
    with page.expect_navigation():
        press("Enter")    # save
    assert len(presses) < 15
    injection = Injection.objects.get()
    assert (injection.target, injection.regions, injection.product, float(injection.volume_ml)) == \
        ("wheal", [{"choir": 218, "side": "left"}], product, 0.5)
    assert injection.performed_by == doctor and injection.verdict in ("ok", "warn")
    assert abs((injection.time - timezone.now()).total_seconds()) < 120
    # Ready for the next one: the message says which, the target has the focus again.
    assert "Injection #1 saved" in page.locator(".messages").inner_text()
    page.wait_for_function("document.activeElement && document.activeElement.name === 'injection-target'")


def test_a_late_response_is_added_to_a_saved_injection(page, doctor, room):
    session, _product = room
    injection = saved(session, 1, performed_by=doctor)
    browser_login(page)
    page.goto(f"/sessions/{session.pk}/")
    item = page.locator(f"#injection-{injection.pk}")
    item.get_by_text("Add response to #1").click()
    item.get_by_label("Response onset (s)").fill("4")
    item.get_by_label("Immediate relief (%)").fill("100")
    item.get_by_label("Relief lasted (h)").fill("20")
    item.get_by_role("button", name="Save response to #1").click()
    page.wait_for_url(f"**/sessions/{session.pk}/#injection-{injection.pk}")
    injection.refresh_from_db()
    assert (injection.onset_seconds, injection.relief_percent, float(injection.duration_hours)) == (4, 100, 20.0)
    assert injection.versions.count() == 2
    assert "100 % relief after 4 s, lasting 20 h" in page.locator(f"#injection-{injection.pk}").inner_text()


def test_a_mistaken_injection_is_removed_and_shown_as_removed(page, doctor, room):
    session, _product = room
    saved(session, 1, performed_by=doctor)
    mistaken = saved(session, 2, performed_by=doctor)
    browser_login(page)
    page.goto(f"/sessions/{session.pk}/")
    item = page.locator(f"#injection-{mistaken.pk}")
    item.get_by_text("Remove #2…").click()
    item.get_by_label("Why is it removed?").fill("entered twice")
    item.get_by_role("button", name="Remove injection #2").click()
    page.wait_for_url(f"**/sessions/{session.pk}/#injections")
    assert list(Injection.objects.values_list("order", flat=True)) == [1]
    removal = Injection.versions.get(id=mistaken.pk, history_type="-")
    assert removal.history_user == doctor and removal.history_change_reason == "entered twice"
    removed = page.locator(".removed-injections").inner_text()
    assert "#2" in removed and "Removed by doctor" in removed and "entered twice" in removed


def test_an_empty_draft_is_discarded(page, patient, room):
    session, _product = room
    browser_login(page)
    page.goto(f"/patients/{patient.pk}/")
    page.get_by_role("link", name="New session").click()
    page.get_by_role("button", name="Start session").click()
    page.wait_for_url("**/sessions/*/")
    started = Session.objects.exclude(pk=session.pk).get()
    page.get_by_text("Discard empty draft").click()
    page.get_by_role("button", name="Discard this draft").click()
    page.wait_for_url(f"**/patients/{patient.pk}/")
    assert list(Session.objects.all()) == [session] and not Session.objects.filter(pk=started.pk).exists()
    assert "discarded" in page.locator(".messages").inner_text()


def test_on_a_phone_the_entry_and_the_injection_list_fit_the_screen(page, doctor, room):
    session, _product = room
    saved(session, 1, performed_by=doctor, reasons=[{"code": "x", "verdict": "warn",
                                                     "message": "product expiry date not recorded"}])
    page.set_viewport_size({"width": 390, "height": 844})
    browser_login(page)
    page.goto(f"/sessions/{session.pk}/")
    overflowing = page.evaluate("""() => {
        const width = document.documentElement.clientWidth;
        return [...document.querySelectorAll('main *')].filter(e => {
            const box = e.getBoundingClientRect();
            return box.width > 0 && box.right > width + 1 && !e.closest('.sr-only');
        }).map(e => e.tagName + '.' + e.className);
    }""")
    assert overflowing == []
    badge = page.locator(f"#injection-{Injection.objects.get().pk} .badge.verdict")
    badge.scroll_into_view_if_needed()
    box = badge.bounding_box()
    assert badge.inner_text() == "OK" and box["x"] >= 0 and box["x"] + box["width"] <= 390
