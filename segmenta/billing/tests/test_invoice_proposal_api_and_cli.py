"""GET /api/v1/sessions/{id}/invoice-proposal and `segmenta invoice propose SESSION_ID` give
the same JSON; a draft is 409 (exit 2), another clinic's session 404 (exit 2 for an unknown
id), a clinic no schedule fits 422; every answer is audited."""

import json
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from segmenta.audit.models import AuditEvent
from segmenta.billing.tests.test_invoice_proposals import signed_session
from segmenta.conftest import make_patient


@pytest.fixture
def session(clinic, doctor, patient):
    clinic.jurisdiction = "DE"
    clinic.save()
    return signed_session(patient, doctor, [
        ("wheal", [{"region": "shoulder", "side": "right"}], "", "0.5", None),
        ("stellate", [], "left", "5", None),
    ])


def propose(session_id):
    out = StringIO()
    call_command("invoice", "propose", str(session_id), stdout=out)
    return out.getvalue()


def test_the_api_and_the_command_answer_the_same(api_client, session):
    response = api_client.get(reverse("api:invoice_proposal", args=[session.pk]))
    assert response.status_code == 200
    assert propose(session.pk) == response.content.decode() + "\n"  # the command ends its line
    body = json.loads(response.content)
    assert body["schedule"] == "goae" and [line["code"] for line in body["lines"]] == ["266", "497", "§10"]
    # Amounts are written with two decimals, as numbers.
    assert '"amount": 8.04' in response.content.decode() and '"amount": 0.00' in response.content.decode()
    assert body["total"] == pytest.approx(sum(line["amount"] for line in body["lines"]))


def test_reading_a_proposal_is_audited(api_client, session):
    before = AuditEvent.objects.filter(patient_id=session.patient_id, action="view").count()
    api_client.get(reverse("api:invoice_proposal", args=[session.pk]))
    propose(session.pk)
    assert AuditEvent.objects.filter(patient_id=session.patient_id, action="view").count() == before + 2


def test_a_draft_is_409(api_client, clinic, doctor, patient):
    draft = signed_session(patient, doctor, [("wheal", [], "", "0.5", None)], signed=False)
    response = api_client.get(reverse("api:invoice_proposal", args=[draft.pk]))
    assert response.status_code == 409 and response.json()["detail"].startswith("session: ")


def test_another_clinics_session_is_404(api_client, other_clinic, outsider):
    other_clinic.jurisdiction = "DE"
    other_clinic.save()
    theirs = signed_session(make_patient(other_clinic), outsider, [("wheal", [], "", "0.5", None)])
    assert api_client.get(reverse("api:invoice_proposal", args=[theirs.pk])).status_code == 404


def test_an_assistant_is_refused_403_and_nothing_is_audited_as_read(clinic, assistant, session):
    from django.test import Client

    from segmenta.accounts.models import ApiToken

    _token, raw = ApiToken.issue(assistant, "tests")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    before = AuditEvent.objects.filter(patient_id=session.patient_id, action="view").count()
    response = client.get(reverse("api:invoice_proposal", args=[session.pk]))
    assert response.status_code == 403 and "practitioners and admins" in response.json()["detail"]
    assert AuditEvent.objects.filter(patient_id=session.patient_id, action="view").count() == before


def test_a_clinic_admin_reads_the_proposal(admin_api_client, session):
    assert admin_api_client.get(reverse("api:invoice_proposal", args=[session.pk])).status_code == 200


def test_no_schedule_is_422_naming_the_field(api_client, clinic, session):
    clinic.jurisdiction = "AT"
    clinic.save()
    response = api_client.get(reverse("api:invoice_proposal", args=[session.pk]))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "schedule"


def test_the_command_refuses_a_bad_id_with_one_line_and_exit_2(tmp_path):
    env = {"SEGMENTA_VAR_DIR": str(tmp_path / "var"), "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-m", "segmenta", "migrate", "-v", "0"], env=env, check=True, timeout=300)
    for argument in ("abc", "999999"):
        done = subprocess.run([sys.executable, "-m", "segmenta", "invoice", "propose", argument], env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 2, done.stderr
        assert done.stderr.strip().count("\n") == 0 and "SESSION_ID" in done.stderr
        assert done.stdout == ""


def test_the_command_refuses_a_draft_naming_it(clinic, doctor, patient):
    from django.core.management.base import CommandError

    draft = signed_session(patient, doctor, [("wheal", [], "", "0.5", None)], signed=False)
    with pytest.raises(CommandError) as refused:
        propose(draft.pk)
    assert refused.value.returncode == 2 and "not signed" in str(refused.value)
