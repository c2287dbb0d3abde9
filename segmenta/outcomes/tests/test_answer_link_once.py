"""A questionnaire link is answered once: a second submission, one after the other or at
the same moment as the first, gets an "already answered" page, never an error, and only
one set of answers is stored."""

import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from segmenta.outcomes import views
from segmenta.outcomes.models import AnswerLink, Response

GAD_CALM = {f"gad7-{i}": "not_at_all" for i in range(1, 8)}


def answers(client, raw):
    return client.post(reverse("outcomes:answer", args=[raw]), GAD_CALM)


def test_a_second_submission_after_the_first_is_told_it_was_answered(patient, doctor):
    _link, raw = AnswerLink.issue(patient, "gad-7", doctor)
    first = answers(Client(), raw)
    assert first.status_code == 200 and "Thank you" in first.content.decode()
    second = answers(Client(), raw)
    assert second.status_code == 410
    assert "already been answered" in second.content.decode()
    assert Response.objects.filter(patient=patient).count() == 1


def test_an_expired_link_still_says_it_is_no_longer_valid(patient, doctor):
    link, raw = AnswerLink.issue(patient, "gad-7", doctor)
    AnswerLink.objects.filter(pk=link.pk).update(expires_at=link.created_at)
    response = Client().get(reverse("outcomes:answer", args=[raw]))
    assert response.status_code == 410 and "no longer valid" in response.content.decode()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs row locks between real connections")
@pytest.mark.django_db(transaction=True)
def test_two_submissions_at_the_same_moment_store_one_answer(patient, doctor, monkeypatch):
    _link, raw = AnswerLink.issue(patient, "gad-7", doctor)
    # Both requests find the link unused before either stores its answers.
    both_found = threading.Barrier(2, timeout=20)
    find = AnswerLink.find

    def find_then_wait(token):
        link = find(token)
        both_found.wait()
        return link

    monkeypatch.setattr(views.AnswerLink, "find", staticmethod(find_then_wait))
    statuses = []

    def submit():
        try:
            response = answers(Client(raise_request_exception=False), raw)
            statuses.append((response.status_code, response.content.decode()))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    codes = sorted(code for code, _page in statuses)
    assert codes == [200, 410], codes
    assert any("already been answered" in page for code, page in statuses if code == 410)
    assert Response.objects.filter(patient=patient).count() == 1
