"""`segmenta retention report` lists the charts past their retention period and those
without a known one; `segmenta retention purge --confirm` deletes the former with
everything that belongs to them and leaves a tombstone in the audit trail."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from segmenta.accounts.models import Clinic
from segmenta.audit.models import AuditEvent
from segmenta.audit.trail import record, verify
from segmenta.conftest import make_patient
from segmenta.patients import models as pm
from segmenta.patients.restriction import owned_models, owners, restrict
from segmenta.treatment.models import Injection, Session

from .charts import age, build_chart


def run(*args):
    out = io.StringIO()
    call_command("retention", *args, stdout=out)
    return out.getvalue()


def remaining(patient_id):
    paths, _links = owners()
    return sum(m._base_manager.filter(**{paths[m]: patient_id}).count() for m in owned_models())


@pytest.fixture
def german(clinic):
    clinic.jurisdiction = "DE"
    clinic.save()
    return clinic


@pytest.fixture
def old(german, doctor):
    """Last treated eleven years ago in Germany: past its ten years."""
    chart = build_chart(make_patient(german, family="Alt", given="Anna", record_number="R-1"), doctor)
    return age(chart.patient, 11) and chart


@pytest.fixture
def recent(german, doctor):
    return build_chart(make_patient(german, family="Neu", given="Nina", record_number="R-2"), doctor)


@pytest.fixture
def nowhere(doctor, db):
    """A clinic without a jurisdiction or a period of its own: no chart is ever due."""
    from segmenta.accounts.models import Membership

    clinic = Clinic.objects.create(name="Praxis Irgendwo")
    Membership.objects.create(user=doctor, clinic=clinic, role="practitioner")
    chart = build_chart(make_patient(clinic, family="Ohne", given="Olga", record_number="X-9"), doctor)
    return age(chart.patient, 30) and chart


def test_the_report_lists_charts_past_retention_without_names(old, recent, nowhere):
    out = run("report")
    past = out.split("Past retention")[1].split("Without a known")[0]
    assert "Praxis Nord\tR-1\t" in past and "R-2" not in past and "X-9" not in past
    row = next(line for line in past.splitlines() if "\tR-1\t" in line).split("\t")
    assert row[2] == str(old.patient.pk) and row[3] < row[4]  # last treatment before the due date
    for name in ("Alt", "Anna", "Neu", "Ohne", "Olga"):
        assert name not in out
    assert "1 past retention, 1 within it, 1 without a known period." in out


def test_the_report_lists_charts_without_a_known_period_and_says_why(nowhere):
    unknown = run("report").split("Without a known retention period")[1]
    assert "Praxis Irgendwo\tX-9" in unknown and "the clinic must set its period" in unknown


def test_a_spanish_clinic_must_set_its_own_period_before_anything_goes(doctor, db):
    from segmenta.accounts.models import Membership

    clinic = Clinic.objects.create(name="Clínica Sur", jurisdiction="ES")
    Membership.objects.create(user=doctor, clinic=clinic, role="practitioner")
    chart = age(build_chart(make_patient(clinic, record_number="E-1"), doctor).patient, 8)
    report = json.loads(run("report", "--json"))
    assert [r["patient"] for r in report["no_known_period"]] == [chart.pk]
    assert "regional rules" in report["no_known_period"][0]["why"]
    clinic.retention_years = 7
    clinic.save()
    assert [r["patient"] for r in json.loads(run("report", "--json"))["past_retention"]] == [chart.pk]


def test_the_report_as_json_gives_clinic_record_number_last_treatment_and_due_date(old):
    row = json.loads(run("report", "--json"))["past_retention"][0]
    assert (row["clinic"], row["record_number"], row["patient"], row["years"]) == ("Praxis Nord", "R-1",
                                                                                    old.patient.pk, 10)
    assert row["last_treatment"] < row["due"] and row["basis"] == "jurisdiction"


def test_purge_without_confirm_refuses_with_exit_2(old):
    with pytest.raises(CommandError, match="--confirm") as refused:
        call_command("retention", "purge")
    assert refused.value.returncode == 2
    assert pm.Patient.objects.filter(pk=old.patient.pk).exists()


def test_purge_deletes_the_chart_its_versions_uploads_and_admin_log_and_leaves_a_tombstone(
        old, recent, nowhere, doctor, german, django_capture_on_commit_callbacks, settings):
    patient_id = old.patient.pk
    consent = pm.Consent(patient=old.patient, date="2015-01-01", scope="Neural therapy", scopes=["injection_therapy"],
                         method="scan",
                         scan=SimpleUploadedFile("consent.pdf", b"%PDF-1.4", content_type="application/pdf"))
    consent.save()
    scan = Path(consent.scan.path)
    LogEntry.objects.create(user=doctor, content_type=ContentType.objects.get_for_model(pm.Complaint),
                            object_id=str(old.complaint.pk), object_repr="Shoulder pain", action_flag=CHANGE)
    record("view", user=doctor, patient=old.patient, obj=old.patient)
    session_ids = list(Session.objects.filter(patient_id=patient_id).values_list("pk", flat=True))
    assert scan.exists() and pm.Complaint.versions.model.objects.filter(patient_id=patient_id).exists()

    with django_capture_on_commit_callbacks(execute=True):
        out = run("purge", "--confirm")

    assert f"purged patient {patient_id} of Praxis Nord (record R-1)" in out
    assert not pm.Patient.objects.filter(pk=patient_id).exists() and remaining(patient_id) == 0
    assert not pm.Patient.versions.model.objects.filter(id=patient_id).exists()
    assert not pm.Complaint.versions.model.objects.filter(patient_id=patient_id).exists()
    assert not pm.Consent.versions.model.objects.filter(patient_id=patient_id).exists()
    assert not Injection.versions.model.objects.filter(session_id__in=session_ids).exists()
    assert not scan.exists() and not scan.parent.exists()
    assert not LogEntry.objects.filter(object_repr="Shoulder pain").exists()
    # The others stay: one within its period, one without a known period.
    assert remaining(recent.patient.pk) and remaining(nowhere.patient.pk)
    tombstone = AuditEvent.objects.get(action="delete", object_type="patient", object_id=str(patient_id))
    assert (tombstone.clinic_id, tombstone.patient_id, tombstone.username) == (
        german.pk, patient_id, "cli: segmenta retention purge")
    assert tombstone.detail["why"] == "retention_ended" and tombstone.detail["files"] == 1
    assert tombstone.detail["deleted"]["patients.patient"] == 1 and tombstone.detail["versions"] > 0
    assert tombstone.detail["retention"]["due"] < str(tombstone.at.date())
    for private in ("Alt", "Anna", "Shoulder", "Appendectomy", "R-1"):
        assert private not in json.dumps(tombstone.detail)
    # The trail's own events about the patient stay, and the chain still verifies.
    assert AuditEvent.objects.filter(patient_id=patient_id, action="view").exists()
    assert verify()[1] == []


def test_a_restricted_chart_past_retention_is_purged_too(old, admin_user):
    restrict(old.patient, admin_user, "letter")
    run("purge", "--confirm")
    assert not pm.Patient.objects.filter(pk=old.patient.pk).exists()


def test_a_second_purge_finds_nothing_more(old):
    run("purge", "--confirm")
    assert "purged 0 chart(s) past retention" in run("purge", "--confirm")


def segmenta(args, env):
    return subprocess.run([sys.executable, "-m", "segmenta", *args], env=env, capture_output=True, text=True,
                          timeout=300)


SETUP = """
import datetime
from django.utils import timezone
from segmenta.accounts.models import Clinic
from segmenta.patients.models import Patient
from segmenta.treatment.models import Session
clinic = Clinic.objects.create(name='Praxis Alt', jurisdiction='DE')
patient = Patient.objects.create(clinic=clinic, family_name='Alt', given_name='Anna', birth_date='1950-01-01',
                                 sex='female', record_number='A-1')
Session.objects.create(patient=patient, started_at=timezone.now() - datetime.timedelta(days=366 * 12))
Patient.objects.filter(pk=patient.pk).update(created_at=timezone.now() - datetime.timedelta(days=366 * 12))
print(patient.pk)
"""


def test_the_real_command_refuses_without_confirm_and_purges_with_it(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SEGMENTA_", "DJANGO_", "DATABASE_URL"))}
    env["SEGMENTA_VAR_DIR"] = str(tmp_path)
    assert segmenta(["migrate", "-v", "0"], env).returncode == 0
    patient_id = segmenta(["shell", "-c", SETUP], env).stdout.strip().splitlines()[-1]
    refused = segmenta(["retention", "purge"], env)
    assert refused.returncode == 2 and refused.stdout == ""
    assert len(refused.stderr.strip().splitlines()) == 1 and "--confirm" in refused.stderr
    purged = segmenta(["retention", "purge", "--confirm"], env)
    assert purged.returncode == 0, purged.stderr
    assert f"purged patient {patient_id} of Praxis Alt (record A-1)" in purged.stdout
    assert "purged 1 chart(s) past retention" in purged.stdout and "Anna" not in purged.stdout


def test_a_chart_within_its_period_is_never_purged_even_when_asked_directly(recent):
    from segmenta.patients.erasure import RETENTION_ENDED, NotDue, purge

    with pytest.raises(NotDue):
        purge(recent.patient, RETENTION_ENDED)
    assert remaining(recent.patient.pk)


def _invoice_issued(chart, user, years_ago):
    """A further invoice of the chart's signed session, issued ``years_ago`` (as issuing writes it)."""
    import datetime

    from django.utils import timezone

    from segmenta.billing.models import Invoice

    invoice = Invoice.objects.create(patient=chart.patient, session=chart.signed_session, schedule="goae",
                                     recipient_name="A. Alt", recipient_address="Lindenweg 5\n10115 Berlin",
                                     created_by=user)
    issued_on = timezone.localdate() - datetime.timedelta(days=366 * years_ago)
    Invoice.objects.filter(pk=invoice.pk).update(status="issued", number=f"K-{invoice.pk}", issue_date=issued_on)
    return invoice


def test_the_tax_period_for_invoices_runs_eight_years_from_the_end_of_the_year_of_issue():
    import datetime

    from segmenta.knowledge import retention
    from segmenta.knowledge.base import load

    germany = retention.rule_for("DE", load().entries["retention"])
    assert germany["invoice_years"] == 8 and "ao-147" in germany["sources"] and "ustg-14b" in germany["sources"]
    assert retention.invoices_kept(germany, [datetime.date(2025, 3, 1), datetime.date(2019, 5, 2)]) == (
        "until", datetime.date(2033, 12, 31))
    assert retention.invoices_kept(germany, []) == (retention.NO_INVOICES, None)
    assert retention.invoices_kept({"invoice_years": None}, [datetime.date(2025, 3, 1)]) == (
        retention.INVOICES_UNKNOWN, None)


def test_a_chart_past_its_period_with_invoices_within_theirs_is_kept_and_the_purge_says_so(old, doctor):
    patient_id = old.patient.pk
    kept = _invoice_issued(old, doctor, years_ago=7)  # ten years for the chart are over; eight for this are not
    report = run("report")
    assert f"kept patient {patient_id} of Praxis Nord (record R-1)" in report and "kept until" in report
    out = run("purge", "--confirm")
    assert f"purged patient {patient_id}" not in out
    assert f"kept patient {patient_id} of Praxis Nord (record R-1)" in out
    assert "2 issued invoice(s) kept until" in out  # the aged one and the one of seven years ago
    assert "with records kept longer (issued invoices) were kept" in out
    assert pm.Patient.objects.filter(pk=patient_id).exists()
    from segmenta.billing.models import Invoice

    assert Invoice.objects.filter(pk=kept.pk, status="issued").exists()
    as_json = json.loads(run("report", "--json"))
    assert all(row["patient"] != patient_id for row in as_json["past_retention"])


def test_a_chart_whose_invoices_are_past_their_period_too_is_purged_with_them(old):
    """The chart's own invoice was issued eleven years ago (aged with the chart): nothing holds it."""
    from segmenta.billing.models import Invoice

    assert Invoice.objects.filter(patient=old.patient, status="issued").exists()
    out = run("purge", "--confirm")
    assert f"purged patient {old.patient.pk}" in out
    assert not Invoice.objects.filter(patient_id=old.patient.pk).exists()


def test_an_erasure_request_of_a_chart_held_for_its_invoices_restricts_it_instead(old, doctor):
    from segmenta.patients.erasure import request_erasure

    _invoice_issued(old, doctor, years_ago=1)
    outcome, chart = request_erasure(old.patient, "asked to be forgotten", user=doctor)
    assert outcome == "restricted" and chart["held"]["invoices"] == 2
    assert pm.Patient.objects.get(pk=old.patient.pk).restricted


def test_without_a_known_period_for_invoices_a_chart_with_issued_invoices_is_kept(old, monkeypatch):
    from segmenta.knowledge import retention

    monkeypatch.setattr(retention, "invoices_kept", lambda rule, dates: (retention.INVOICES_UNKNOWN, None))
    out = run("purge", "--confirm")
    assert f"kept patient {old.patient.pk}" in out and "no tax retention period for invoices is known" in out
    assert pm.Patient.objects.filter(pk=old.patient.pk).exists()


def test_a_chart_held_for_its_invoices_says_when_the_tax_period_was_not_verified_in_the_law(old, doctor):
    """Germany's eight years for invoices were read in secondary sources only (invoice_verified:
    false): the report keeps the chart and says the period is not verified, rather than stating it
    as the law's."""
    from segmenta.knowledge import retention
    from segmenta.knowledge.base import load

    assert retention.rule_for("DE", load().entries["retention"])["invoice_verified"] is False
    _invoice_issued(old, doctor, years_ago=1)
    report = run("report")
    assert "kept until" in report and "not verified in the law's official text" in report
    as_json = json.loads(run("report", "--json"))
    # The JSON lists the held chart apart, with why (it listed only charts to purge or without a period).
    [held] = as_json["held"]
    assert held["patient"] == old.patient.pk and "not verified in the law's official text" in held["held"]
    assert all(row["patient"] != old.patient.pk for row in as_json["past_retention"])
