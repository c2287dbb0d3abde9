"""The membrane-potential lab in the browser: a slider moved with the keyboard and a number
typed in, each followed by the server's result and its marker on the scale; without
JavaScript the Compute button does the same; a phone never scrolls sideways."""

import pytest

from segmenta.conftest import browser_login
from segmenta.knowledge.base import MEMBRANE_MODEL, load
from segmenta.learning import membrane
from segmenta.learning.views_lab import _x

pytestmark = pytest.mark.browser

NEURON, LIMITS, _PRESETS = membrane.from_model(load().get("membrane-model", MEMBRANE_MODEL))


def server_vm(**changes):
    return membrane.rounded(membrane.potentials({**NEURON, **changes}, LIMITS))["vm_mv"]


def wait_for_vm(page, vm):
    page.wait_for_function("mv => document.querySelector('#lab-vm')?.dataset.mv === mv", arg=f"{vm:.2f}")


def test_moving_a_slider_and_typing_a_number_update_vm_and_its_marker_from_the_server(page, settings, doctor):
    settings.SEGMENTA_REQUIRE_MFA = False
    browser_login(page, "doctor")
    page.goto("/learn/lab/")
    assert page.locator("#lab-vm").get_attribute("data-mv") == f"{server_vm():.2f}"

    slider = page.get_by_role("slider", name="K⁺ outside (mmol/L)")
    slider.focus()
    for _ in range(3):  # three steps of 0.5 mmol/L: 5 → 6.5
        page.keyboard.press("ArrowRight")
    expected = server_vm(k_out=6.5)
    wait_for_vm(page, expected)
    assert page.get_by_role("spinbutton", name="K⁺ outside (mmol/L)").input_value() == "6.5"
    assert page.locator("#lab-vm").inner_text() == f"{expected:.1f}\u00a0mV"
    marker = page.locator("#lab-vm-marker")
    assert marker.get_attribute("data-mv") == f"{expected:.2f}"
    assert marker.locator("line").get_attribute("x1") == _x(expected)
    page.wait_for_function("text => document.querySelector('#lab-announce').textContent.includes(text)",
                           arg=f"{expected:.1f}")  # said to a screen reader too

    page.get_by_role("spinbutton", name="Na⁺ permeability (relative)").fill("0.5")
    expected = server_vm(k_out=6.5, p_na=0.5)
    wait_for_vm(page, expected)
    assert page.locator("#lab-vm-marker line").get_attribute("x1") == _x(expected)
    assert page.get_by_role("slider", name="Na⁺ permeability (relative)").input_value() == "0.5"


def test_without_javascript_compute_loads_the_result(browser_pages, settings, doctor):
    settings.SEGMENTA_REQUIRE_MFA = False
    page = browser_pages(javascript=False)
    browser_login(page, "doctor")
    page.goto("/learn/lab/")
    page.get_by_role("spinbutton", name="K⁺ outside (mmol/L)").fill("12")
    page.get_by_role("button", name="Compute").click()
    page.wait_for_url("**/learn/lab/?*")
    assert page.locator("#lab-vm").get_attribute("data-mv") == f"{server_vm(k_out=12):.2f}"
    page.get_by_role("spinbutton", name="K⁺ inside (mmol/L)").fill("0")
    page.get_by_role("button", name="Compute").click()
    assert page.get_by_role("alert").inner_text().startswith("K⁺ inside (mmol/L):")


def test_a_phone_shows_the_lab_without_sideways_scrolling(browser_pages, settings, doctor):
    settings.SEGMENTA_REQUIRE_MFA = False
    page = browser_pages(size=(390, 844))
    browser_login(page, "doctor")
    page.goto("/learn/lab/?preset=procaine")
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0
    assert page.locator("#lab-result").bounding_box()["width"] <= 390


def test_the_procaine_preset_and_a_typed_share_of_blocked_channels_show_the_servers_excitability(page, settings,
                                                                                                  doctor):
    settings.SEGMENTA_REQUIRE_MFA = False
    browser_login(page, "doctor")
    page.goto("/learn/lab/")
    page.get_by_role("link", name="Procaine: half of the sodium channels blocked").click()
    page.wait_for_url("**/learn/lab/?preset=procaine")
    model = load().get("membrane-model", MEMBRANE_MODEL)

    def share_shown(blocked_percent):
        found = membrane.excitability(NEURON, LIMITS, model["threshold_mv"], model["peak_p_na"], blocked_percent / 100)
        return "threshold out of reach" if found["share_needed"] is None else f"{found['share_needed'] * 100:.1f}"

    blocked = page.get_by_role("spinbutton", name="Voltage-gated Na⁺ channels blocked by procaine (%)")
    assert blocked.input_value() == "50"
    assert share_shown(50) in page.locator("#lab-blocked-share").inner_text()
    # The resting potential stays where it was: a block does not repolarise anything.
    assert page.locator("#lab-vm").get_attribute("data-mv") == f"{server_vm():.2f}"
    blocked.fill("99.9")
    page.wait_for_function("() => document.querySelector('#lab-blocked-head').textContent.includes('99.9')")
    assert share_shown(99.9) == "threshold out of reach"
    assert page.locator("#lab-blocked-share").inner_text() == "threshold out of reach: no action potential"
    assert page.locator("#lab-vm").get_attribute("data-mv") == f"{server_vm():.2f}"
