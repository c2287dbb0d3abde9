"""The chart's record-keeping card, kept drawn: the erasure request is offered to the clinic's
admins only, in each language, for each patient, whoever read the chart before."""

from django.urls import reverse

from segmenta.conftest import make_patient
from segmenta.patients.templatetags import retention_tags


def test_each_reader_sees_their_own_card(doctor_client, admin_client, clinic):
    retention_tags._DRAWN.clear()
    first, second = make_patient(clinic), make_patient(clinic, family="Zweite")
    for _ in range(2):  # drawn, then kept
        for patient in (first, second):
            chart = reverse("patients:detail", args=[patient.pk])
            erasure, copy = reverse("patients:erasure", args=[patient.pk]), reverse(
                "outcomes:patient_copy", args=[patient.pk])
            as_admin, as_doctor = admin_client.get(chart).content.decode(), doctor_client.get(chart).content.decode()
            assert erasure in as_admin and erasure not in as_doctor
            assert copy in as_admin and copy in as_doctor
            assert "Patient's copy" in as_doctor
            assert "Kopie für den Patienten" in doctor_client.get(chart, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert len(retention_tags._DRAWN._values) == 6
