"""Every page's top bar is drawn once per way it can look and kept (segmenta/template_frame.py):
each user, language, role and place still sees their own, and its logoff form posts with
the request's own CSRF token."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from segmenta import template_frame
from segmenta.conftest import login_verified, make_patient


@pytest.fixture(autouse=True)
def nothing_kept():
    template_frame._drawn.clear()
    yield
    template_frame._drawn.clear()


def topbar(response):
    assert response.status_code == 200
    return re.search(r'<header class="topbar">.*?</header>', response.content.decode(), re.S).group(0)


def current(bar):
    return re.findall(r'<a href="([^"]*)" aria-current="page">', bar)


def test_each_user_role_language_and_place_sees_their_own(doctor_client, admin_client, clinic):
    patient = make_patient(clinic)
    chart, today, day = (reverse("patients:detail", args=[patient.pk]), reverse("scheduling:today"),
                         reverse("scheduling:day"))
    for _ in range(2):  # drawn, then kept
        doctor_bar, admin_bar = topbar(doctor_client.get(chart)), topbar(admin_client.get(chart))
        assert ">doctor</a>" in doctor_bar and ">boss</a>" in admin_bar
        assert reverse("accounts:members") in admin_bar and reverse("accounts:members") not in doctor_bar
        assert current(doctor_bar) == [reverse("patients:list")]
        assert current(topbar(doctor_client.get(today))) == [today]
        assert current(topbar(doctor_client.get(day))) == [day]  # the same app, another page
        german = topbar(doctor_client.get(chart, HTTP_ACCEPT_LANGUAGE="de"))
        assert "Abmelden" in german or "Log off" not in german
    assert len(template_frame._drawn._values) >= 4


def test_a_renamed_user_sees_the_new_name(doctor, doctor_client):
    page = reverse("patients:list")
    assert ">doctor</a>" in topbar(doctor_client.get(page))
    get_user_model().objects.filter(pk=doctor.pk).update(username="dr-neu")
    assert ">dr-neu</a>" in topbar(doctor_client.get(page))


def test_the_kept_logoff_form_posts_with_the_requests_own_token(doctor):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    login_verified(first, doctor)
    login_verified(second, doctor)
    page = reverse("patients:list")
    topbar(first.get(page))  # drawn for the first session
    bar = topbar(second.get(page))  # kept, read by the second
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', bar).group(1)
    assert template_frame._CSRF_MARK not in bar
    response = second.post(reverse("accounts:logout"), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert second.get(page).status_code == 302  # signed off: back to the login page
    assert first.get(page).status_code == 200
