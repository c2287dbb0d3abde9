"""Every page and every API read costs the same number of queries for a short chart and a
long one, and no more than its baseline (NetBox-style): a page that starts to query once per
row (N+1) fails here. Raise a baseline only with a reason.

The walk opens every GET address of the site that a chart's ids fill in
(segmenta/tests/pages.py); pages that answer other than 200 (forms that only take POST, say)
are left out.
"""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import resolve

from segmenta.accounts.models import ApiToken
from segmenta.api.chart import KINDS
from segmenta.conftest import login_verified, make_patient
from segmenta.patients.tests.test_query_counts import fill_chart
from segmenta.tests.pages import chart_items, readable_urls
from segmenta.treatment.models import Session


# Queries of each page and API read (the second request, on a long chart), measured when this
# test was written (SQLite and PostgreSQL alike); raise one only with a reason.
BASELINES = {
    "accounts:profile": 12,
    "accounts:reauth": 8,
    "api:list_patients": 3,
    "api:openapi-json": 0,
    "api:patient_case": 16,
    "api:patient_versions": 4,
    "api:read_patient": 3,
    "api:read_session": 6,
    # The lots on the shelf: the clinic and its lots (their draws and write-offs only when it has some).
    "api:stock_lots": 3,
    "assessment:assess": 28,
    "fhir:metadata": 0,
    # The FHIR import's upload page (the user's clinics, recent imports) and a patient's proposals.
    "imports:proposals": 11,
    "imports:upload": 10,
    "knowledge:index": 9,
    # The patient leaflets offered in each language (the clinic's overrides read once).
    "learning:leaflets": 9,
    # The case simulator's list: the reader's membership and one aggregate of their runs per case.
    "learning:simulator": 9,
    # A practitioner's Training page (records, periods, the clinics' requirements and knowledge bases)
    # and the record form (the awarding bodies from the clinic's knowledge base).
    "learning:training": 15,
    "learning:training_new": 10,
    # The course: its modules with the practitioner's progress and best scores (one query each, not
    # one per module), the clinic's accreditation and whether the reader is its admin.
    "learning:courses": 13,
    # The membrane-potential lab: the session's user and clinic and the clinic's knowledge-base
    # overrides, as the Learn index reads them; it lists nothing of the database.
    "learning:lab": 9,
    "outcomes:practice": 13,
    "outcomes:questionnaires": 11,
    "outcomes:reassessment": 33,
    "patients:create": 9,
    "patients:detail": 40,
    "patients:edit": 9,
    "patients:item_edit": 11,
    "patients:item_in_error": 10,
    "patients:item_new": 8,
    "patients:list": 12,
    # The day: its appointments with their strips, drafts, links and no-shows (flat per appointment:
    # segmenta/scheduling/tests/test_today_page.py).
    "scheduling:today": 15,
    # The calendar: a day or week of one practitioner or room (the clinic's calendar settings,
    # practitioners, rooms, closures and the appointments with their patients, types and rooms;
    # segmenta/scheduling/tests/test_calendar_pages.py fills a week), booking, a course from a plan.
    "scheduling:day": 14,
    "scheduling:week": 14,
    "scheduling:book": 14,
    # The booking's patient search as one types (its matches are one query more).
    "scheduling:book_patients": 8,
    "scheduling:course": 15,
    # Reminders and recall: the practitioner's feed page; a patient's contact preferences with the
    # messages sent to them; the recall list (the clinic's plans with their sessions and reviews,
    # answers, bookings, rows handled and messages sent, however many; test_recall_list.py).
    "reminders:feed_page": 9,
    "reminders:contact": 11,
    "reminders:recall": 16,
    "api:list_appointments": 4,
    "api:list_rooms": 2,
    "api:list_appointment_types": 4,
    "treatment:equipment_check": 11,
    "treatment:lots": 9,
    "treatment:plan_new": 10,
    "treatment:products": 10,
    # 41, and one more since the injection entry offers the lots in stock to draw from.
    "treatment:session": 42,
    # The stock (products and their lots; flat with the lots: segmenta/treatment/tests/test_stock.py)
    # and receiving a delivery.
    "treatment:stock": 10,
    "treatment:stock_receive": 9,
    # The invoices of a clinic, their patients read with them (flat: billing/tests/test_invoice_pages.py).
    "billing:index": 12,
    "treatment:session_new": 9,
    # Each kind of chart entry the same: its list, one entry, and its versions.
    **{f"api:{view}_{kind}": n for kind in KINDS for view, n in (("list", 4), ("read", 4), ("versions", 5))},
}


def counts(client, token, urls):
    """{url: queries of its second request}; the API is called as a program calls it, with
    its token and no session."""
    api = Client()
    found = {}
    for url in urls:
        caller, headers = ((api, {"HTTP_AUTHORIZATION": f"Bearer {token}"}) if url.startswith(("/api/", "/fhir/"))
                           else (client, {}))
        caller.get(url, **headers)  # once first: what a page sets up on a first visit is not counted
        with CaptureQueriesContext(connection) as ctx:
            response = caller.get(url, **headers)
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
    over = {}
    for url, n in long.items():
        name = resolve(url).view_name
        if n > BASELINES.get(name, -1):
            over[url] = (name, n, BASELINES.get(name))
    assert over == {}, "above its baseline (or without one)"
