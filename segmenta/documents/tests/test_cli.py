"""`segmenta pdf KIND ID -o FILE`: each kind written whole to the file named, kept and audited;
bad input exits 2 with one line naming what is wrong, and writes nothing."""

import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from segmenta.audit.models import AuditEvent
from segmenta.documents.models import IssuedDocument

from .conftest import patient_with_plan, pdf_text, signed_session, spanish_consent


def run(*args):
    call_command("pdf", *args, stdout=open("/dev/null", "w"))


def test_each_kind_from_the_command_line(demo, tmp_path):
    session, consent = signed_session(), spanish_consent()
    plan = patient_with_plan().plans.first()
    cases = {
        "session-note": ([str(session.pk)], session.patient.display_name),
        "referral": ([str(session.patient_id), "--to", "dentist", "--question", "Zahn 38 beurteilen?"],
                     "Zahn 38 beurteilen?"),
        "course-letter": ([str(plan.pk)], plan.complaint.description),
        "consent-sheet": ([str(consent.pk), "--technique", "stellate"], "Ganglio estrellado"),
        "record-copy": ([str(session.patient_id)], session.patient.display_name),
        "leaflet": ([str(consent.patient_id), "--leaflet", "after-your-injection"], "Después de su inyección"),
    }
    for kind, (args, expected) in cases.items():
        out = tmp_path / f"{kind}.pdf"
        run(kind, *args, "-o", str(out))
        text, _reader = pdf_text(out.read_bytes())
        assert expected in " ".join(text.split()), kind
    kept = sorted(IssuedDocument.objects.values_list("kind", flat=True))
    assert kept == ["consent-sheet", "course-letter", "leaflet", "referral", "session-note"]
    assert IssuedDocument.objects.get(kind="leaflet").language == "es"  # the patient's
    assert IssuedDocument.objects.get(kind="referral").recipient == "dentist"
    assert AuditEvent.objects.filter(action="export", detail__format="pdf").count() == 6
    assert list(tmp_path.glob(".segmenta-pdf-*")) == []


@pytest.mark.parametrize("args, field", [
    (["letter", "1"], "KIND"),
    (["session-note", "x"], "ID"),
    (["session-note", "999999"], "ID"),
    (["session-note", "1"], "-o/--output"),
    (["consent-sheet", "CONSENT", "--technique", "nonsense"], "--technique"),
    (["referral", "PATIENT", "--to", "vet"], "--to"),
    (["referral", "PATIENT", "--language", "fr"], "--language"),
    (["leaflet", "PATIENT", "--leaflet", "nonsense"], "--leaflet"),
    (["leaflet", "PATIENT"], "--leaflet"),
])
def test_bad_input_exits_2_naming_the_field(demo, tmp_path, args, field):
    args = [str(spanish_consent().pk) if a == "CONSENT" else str(signed_session().patient_id) if a == "PATIENT"
            else a for a in args]
    if field != "-o/--output":
        args += ["-o", str(tmp_path / "out.pdf")]
    with pytest.raises(CommandError) as error:
        run(*args)
    assert error.value.returncode == 2
    assert str(error.value).startswith(field) and "\n" not in str(error.value)
    assert list(tmp_path.iterdir()) == []
    assert IssuedDocument.objects.count() == 0


def test_a_file_inside_the_package_is_refused(demo):
    from django.conf import settings

    target = settings.PACKAGE_DIR / "documents" / "note.pdf"
    with pytest.raises(CommandError, match="^-o/--output: .* inside the Segmenta package") as error:
        run("session-note", str(signed_session().pk), "-o", str(target))
    assert error.value.returncode == 2 and not target.exists()


def test_an_unsigned_session_or_a_folder_that_is_not_there_exits_2(demo, tmp_path):
    from segmenta.treatment.models import Session

    draft = Session.objects.create(patient=signed_session().patient, started_at="2026-01-01T10:00:00+00:00")
    with pytest.raises(CommandError, match="^ID: Session .* is not signed") as error:
        run("session-note", str(draft.pk), "-o", str(tmp_path / "note.pdf"))
    assert error.value.returncode == 2
    with pytest.raises(CommandError, match="^-o/--output: the folder") as error:
        run("session-note", str(signed_session().pk), "-o", str(tmp_path / "missing" / "note.pdf"))


def test_the_command_prints_one_line_on_stderr_and_exits_2(tmp_path):
    """As a person runs it (no database needed to refuse an unknown kind)."""
    done = subprocess.run([sys.executable, "-m", "segmenta", "pdf", "letter", "1", "-o", str(tmp_path / "x.pdf")],
                          capture_output=True, text=True, env={"SEGMENTA_VAR_DIR": str(tmp_path), "PATH": "/usr/bin"})
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert "KIND" in done.stderr
