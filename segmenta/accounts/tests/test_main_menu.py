"""The main menu offers each user only pages they may open."""

import re

import pytest
from django.test import Client

from segmenta.conftest import login_verified


def menu_links(client):
    html = client.get("/patients/").content.decode()
    nav = re.search(r'<nav aria-label="Main">(.*?)</nav>', html, re.S).group(1)
    return {text.strip(): href for href, text in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav)}


@pytest.mark.parametrize("who", ["admin_user", "doctor", "assistant"])
def test_every_link_in_the_menu_opens_for_every_role(request, who):
    client = login_verified(Client(), request.getfixturevalue(who))
    links = menu_links(client)
    assert "Patients" in links and "Learn" in links
    refused = {}
    for name, href in links.items():
        response = client.get(href)
        # Members and clinic settings ask for the password again first: that page opens too.
        if response.status_code == 302 and response.url.startswith("/accounts/reauth/"):
            response = client.get(response.url)
        if response.status_code != 200:
            refused[name] = response.status_code
    assert refused == {}


def test_an_assistant_is_not_offered_the_practice_outcomes(assistant, doctor):
    assert "Outcomes" not in menu_links(login_verified(Client(), assistant))
    assert menu_links(login_verified(Client(), doctor))["Outcomes"] == "/outcomes/"
