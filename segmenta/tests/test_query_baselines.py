"""Every page and every API read costs the same number of queries for a short chart and a
long one, and no more than its baseline (NetBox-style): a page that starts to query once per
row (N+1) fails here. Raise a baseline only with a reason.

The walk opens every GET address of the site that a chart's ids fill in
(segmenta/tests/pages.py); pages that answer other than 200 (forms that only take POST, say)
are left out.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from segmenta.accounts.models import ApiToken
from segmenta.conftest import login_verified, make_patient
from segmenta.patients.tests.test_query_counts import fill_chart
from segmenta.tests.pages import chart_items, readable_urls
from segmenta.treatment.models import Session


def counts(client, token, urls):
    found = {}
    for url in urls:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if url.startswith("/api/") else {}
        client.get(url, **headers)  # once first: what a page sets up on a first visit is not counted
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url, **headers)
        if response.status_code == 200:
            found[url] = len(ctx)
    return found


@pytest.mark.django_db
def test_every_page_and_api_read_costs_the_same_for_a_short_and_a_long_chart(client, doctor, clinic):
    patient = make_patient(clinic)
    fill_chart(patient, 1)
    session, plan = Session.objects.filter(patient=patient).first(), patient.plans.first()
    urls = list(readable_urls(patient, session, plan, chart_items(patient)))
    login_verified(client, doctor)
    _token, raw = ApiToken.issue(doctor, "baselines")
    short = counts(client, raw, urls)
    fill_chart(patient, 12)
    for i in range(25):
        make_patient(clinic, family=f"Other{i:02d}")
    long = counts(client, raw, urls)
    assert len(short) >= 30
    grew = {url: (short[url], long.get(url)) for url in short if long.get(url) != short[url]}
    assert grew == {}
