"""Query-count baselines: list and detail pages cost the same for 2 rows or 60.

A failing test here means a page started to query once per row (N+1).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from segmenta.audit.trail import record
from segmenta.conftest import make_patient

# Measured when the pages were written (PostgreSQL takes one more: the audit chain's
# advisory lock); raise only with a reason.
BASELINE = {"patients:list": 15, "patients:detail": 15}


def queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_patient_list_query_count_does_not_grow_with_patients(doctor_client, clinic):
    url = reverse("patients:list")
    make_patient(clinic, family="A")
    make_patient(clinic, family="B")
    few = queries(doctor_client, url)
    for i in range(60):
        make_patient(clinic, family=f"P{i:02d}")
    assert queries(doctor_client, url) == few
    assert few <= BASELINE["patients:list"]


def test_patient_detail_query_count_does_not_grow_with_its_history(doctor_client, doctor, patient):
    url = reverse("patients:detail", args=[patient.pk])
    few = queries(doctor_client, url)
    for _ in range(30):
        record("view", user=doctor, patient=patient, obj=patient)
    assert queries(doctor_client, url) == few
    assert few <= BASELINE["patients:detail"]


@pytest.mark.parametrize("rows", [3, 40])
def test_audit_search_query_count_is_flat(admin_client, admin_user, patient, rows):
    for _ in range(rows):
        record("view", user=admin_user, patient=patient, obj=patient)
    count = queries(admin_client, reverse("audit:search"))
    assert count <= 12
