"""Reading the practice system's requests: the patient is found by the practice system's
number, linked by name and birth date, or created; mix-ups are refused naming the field;
`segmenta gdt read` prints the id, `segmenta gdt poll` works through the inbox."""

import datetime
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from segmenta.audit.models import AuditEvent
from segmenta.conftest import make_patient
from segmenta.interop.gdt import format, patients
from segmenta.patients.models import Patient

FIXTURES = Path(__file__).parent / "fixtures"
CP437 = FIXTURES / "request_6302_gdt30_cp437.gdt"


def parsed(name):
    return format.parse((FIXTURES / name).read_bytes())


def read(path, capsys, clinic="Praxis Nord"):
    call_command("gdt", "read", "--clinic", clinic, str(path))
    return capsys.readouterr()


def test_a_new_examination_request_creates_the_patient_with_the_practice_systems_number(clinic, capsys):
    out = read(CP437, capsys).out
    patient = Patient.objects.get()
    assert out.strip() == str(patient.pk)
    assert (patient.clinic, patient.record_number, patient.family_name, patient.given_name, patient.birth_date,
            patient.sex) == (clinic, "4711", "Größer-Öztürk", "Jürgen", datetime.date(1961, 3, 17), "male")
    event = AuditEvent.objects.get(action="create", object_type="patient")
    assert event.username == "gdt" and event.detail["patient_number"] == "4711"
    assert event.detail["file"] == CP437.name and event.detail["record_type"] == "6302"


def test_each_sample_character_set_opens_its_patient(clinic, capsys):
    for name, family in (("request_6302_gdt21_iso8859_15.gdt", "Weiß"), ("request_6311_gdt30_7bit.gdt", "Müßig")):
        out = read(FIXTURES / name, capsys).out
        assert Patient.objects.get(pk=int(out)).family_name == family


def test_the_same_request_again_opens_the_same_chart(clinic, capsys):
    first = read(CP437, capsys).out
    second = read(CP437, capsys).out
    assert first == second and Patient.objects.count() == 1
    assert AuditEvent.objects.filter(action="view", object_type="patient", username="gdt").count() == 1


def test_a_chart_without_a_number_is_linked_by_name_and_birth_date(clinic, capsys):
    make_patient(clinic, family="Groesser-Oeztuerk", given="Juergen", birth_date="1961-03-17", sex="male")
    existing = make_patient(clinic, family="GRÖSSER-ÖZTÜRK", given="jürgen", birth_date="1961-03-17", sex="male")
    out = read(CP437, capsys).out
    existing.refresh_from_db()
    assert out.strip() == str(existing.pk) and existing.record_number == "4711"
    assert Patient.objects.count() == 2  # the differently spelt one is left alone
    event = AuditEvent.objects.get(action="update", object_type="patient")
    assert event.detail["record_number"] == ["", "4711"]


def test_two_namesakes_without_a_number_are_left_for_a_person_to_decide(clinic):
    for _ in range(2):
        make_patient(clinic, family="Größer-Öztürk", given="Jürgen", birth_date="1961-03-17")
    with pytest.raises(CommandError) as error:
        call_command("gdt", "read", "--clinic", "Praxis Nord", str(CP437))
    assert error.value.returncode == 2
    assert str(error.value).startswith(f"{CP437}: field 3000: 2 patients named Jürgen Größer-Öztürk")
    assert not Patient.objects.exclude(record_number="").exists()


def test_a_number_whose_birth_date_differs_is_refused_as_a_mix_up(clinic):
    make_patient(clinic, family="Anders", given="Anna", birth_date="1950-05-05", record_number="4711")
    with pytest.raises(format.GdtError) as error:
        patients.open_or_create(clinic, parsed(CP437.name))
    assert error.value.field == "3103" and "born 05.05.1950, not 17.03.1961" in str(error.value)


def test_a_number_with_another_name_opens_the_chart_and_says_what_differs(clinic, capsys):
    known = make_patient(clinic, family="Größer", given="Jürgen", birth_date="1961-03-17", record_number="4711")
    result = read(CP437, capsys)
    assert result.out.strip() == str(known.pk)
    assert "field 3101" not in result.out and "3101: the practice system says 'Größer-Öztürk'" in result.err
    known.refresh_from_db()
    assert known.family_name == "Größer"


def test_the_number_is_looked_up_in_the_named_clinic_only(clinic, other_clinic, capsys):
    elsewhere = make_patient(other_clinic, family="Größer-Öztürk", given="Jürgen", birth_date="1961-03-17",
                             record_number="4711")
    out = read(CP437, capsys).out
    assert int(out) != elsewhere.pk and Patient.objects.get(pk=int(out)).clinic == clinic


@pytest.mark.parametrize(("lines", "words"), [
    ([("3000", "1"), ("3101", "Ohne"), ("3103", "01011970")], "field 3102: the given name is missing"),
    ([("3101", "Ohne"), ("3102", "Nummer"), ("3103", "01011970")], "field 3000: the patient number is missing"),
    ([("3000", "1"), ("3101", "Später"), ("3102", "Geboren"), ("3103", "01012199")], "field 3103:"),
    ([("3000", "x" * 40), ("3101", "Lange"), ("3102", "Nummer"), ("3103", "01011970")], "field 3000:"),
])
def test_incomplete_or_impossible_master_data_is_refused_naming_the_field(clinic, tmp_path, lines, words):
    path = tmp_path / "request.gdt"
    path.write_bytes(format.build("6302", lines, version="02.10"))
    with pytest.raises(CommandError) as error:
        call_command("gdt", "read", "--clinic", "Praxis Nord", str(path))
    assert error.value.returncode == 2 and words in str(error.value) and "\n" not in str(error.value)
    assert not Patient.objects.exists()


def test_a_result_record_is_not_a_request(clinic, tmp_path):
    path = tmp_path / "result.gdt"
    path.write_bytes(format.build("6310", [("3000", "1")], version="02.10"))
    with pytest.raises(CommandError, match="field 8000: record type 6310 is not a request") as error:
        call_command("gdt", "read", "--clinic", "Praxis Nord", str(path))
    assert error.value.returncode == 2


def test_bad_files_and_clinics_exit_2(clinic, tmp_path):
    for args, words in ((["--clinic", "Nowhere", str(CP437)], "--clinic: no clinic named 'Nowhere'"),
                        (["--clinic", "Praxis Nord", str(tmp_path / "absent.gdt")], "FILE: cannot read"),
                        (["--clinic", "Praxis Nord", str(FIXTURES / "wrong_line_length.gdt")],
                         "line 11, field 3101: the line says it is 23 bytes long but is 22"),
                        (["--clinic", "Praxis Nord", str(FIXTURES / "missing_8000.gdt")],
                         "line 1, field 8100: a record starts with field 8000")):
        with pytest.raises(CommandError) as error:
            call_command("gdt", "read", *args)
        assert error.value.returncode == 2 and words in str(error.value)


def test_the_console_script_exits_2_with_one_line_on_stderr(tmp_path):
    env = {**os.environ, "SEGMENTA_VAR_DIR": str(tmp_path / "var"), "DJANGO_SETTINGS_MODULE": "segmenta.settings"}
    result = subprocess.run([sys.executable, "-m", "segmenta", "gdt", "write", "twelve", "-o", str(tmp_path / "r.gdt")],
                            capture_output=True, text=True, env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["CommandError: SESSION_ID: 'twelve' is not a session id"]


def aged(path):
    then = time.time() - 60
    os.utime(path, (then, then))
    return path


def test_poll_reads_the_inbox_and_moves_each_file_aside(clinic, tmp_path, settings, capsys):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    settings.SEGMENTA_GDT_INBOX = str(inbox)
    (inbox / "PRAXSEGM.gdt").write_bytes(CP437.read_bytes())
    (inbox / "PRAXSEGM.001").write_bytes((FIXTURES / "wrong_line_length.gdt").read_bytes())
    aged(inbox / "PRAXSEGM.gdt")
    aged(inbox / "PRAXSEGM.001")
    (inbox / "PRAXSEGM.002").write_bytes((FIXTURES / "request_6311_gdt30_7bit.gdt").read_bytes())  # still fresh
    with pytest.raises(SystemExit) as exit_:
        call_command("gdt", "poll", "--clinic", "Praxis Nord")
    assert exit_.value.code == 2
    result = capsys.readouterr()
    patient = Patient.objects.get()
    assert result.out.splitlines() == [f"PRAXSEGM.gdt: patient {patient.pk} (created)"]
    assert result.err.splitlines() == ["PRAXSEGM.001: line 11, field 3101: the line says it is 23 bytes long but is 22 "
                                       "(CR LF included)"]
    assert sorted(p.name for p in inbox.iterdir() if p.is_file()) == ["PRAXSEGM.002"]
    assert [p.name for p in (inbox / "done").iterdir()] == ["PRAXSEGM.gdt"]
    assert sorted(p.name for p in (inbox / "failed").iterdir()) == ["PRAXSEGM.001", "PRAXSEGM.001.error.txt"]
    assert "field 3101" in (inbox / "failed" / "PRAXSEGM.001.error.txt").read_text(encoding="utf-8")


def test_poll_without_an_inbox_exits_2(clinic, tmp_path, settings):
    settings.SEGMENTA_GDT_INBOX = str(tmp_path / "missing")
    with pytest.raises(CommandError, match="is not a folder") as error:
        call_command("gdt", "poll", "--clinic", "Praxis Nord")
    assert error.value.returncode == 2


def test_a_restricted_chart_takes_no_request(clinic):
    from django.utils import timezone

    make_patient(clinic, family="Größer-Öztürk", given="Jürgen", birth_date="1961-03-17", record_number="4711",
                 restricted_at=timezone.now())
    with pytest.raises(format.GdtError, match="restricted") as error:
        patients.open_or_create(clinic, parsed(CP437.name))
    assert error.value.field == "3000" and Patient.objects.count() == 1


def test_poll_takes_the_inbox_from_the_command_line_too(clinic, tmp_path, settings, capsys):
    settings.SEGMENTA_GDT_INBOX = ""
    inbox = tmp_path / "clinic-inbox"
    inbox.mkdir()
    (inbox / "PRAXSEGM.gdt").write_bytes((FIXTURES / "request_6302_gdt21_iso8859_15.gdt").read_bytes())
    aged(inbox / "PRAXSEGM.gdt")
    call_command("gdt", "poll", "--clinic", "Praxis Nord", "--inbox", str(inbox))
    assert capsys.readouterr().out.startswith("PRAXSEGM.gdt: patient ")
    assert Patient.objects.get().family_name == "Weiß" and (inbox / "done" / "PRAXSEGM.gdt").exists()


def test_a_request_addressed_to_another_program_is_refused(clinic, settings):
    settings.SEGMENTA_GDT_OWN_ID = "EKG1"
    with pytest.raises(CommandError) as error:
        call_command("gdt", "read", "--clinic", "Praxis Nord", str(CP437))
    assert error.value.returncode == 2
    assert str(error.value) == (f"{CP437}: line 4, field 8315: the record is addressed to 'SEGMENTA', not to "
                                "Segmenta's GDT id 'EKG1' (SEGMENTA_GDT_OWN_ID)")
    assert not Patient.objects.exists()


def test_a_request_keeps_the_practice_systems_number_as_an_identifier_of_the_chart(clinic, capsys):
    from segmenta.interop.models import PatientIdentifier

    typed = make_patient(clinic, family="Größer-Öztürk", given="Jürgen", birth_date="1961-03-17", record_number="4711")
    assert int(read(CP437, capsys).out) == typed.pk  # a record number typed in by hand is taken once
    assert PatientIdentifier.objects.values_list("patient", "system", "value").get() == (typed.pk, "gdt", "4711")
    # Renumbered by the clinic, the chart is still the practice system's 4711.
    Patient.objects.filter(pk=typed.pk).update(record_number="B-7")
    assert int(read(CP437, capsys).out) == typed.pk


def test_a_record_number_given_again_to_another_chart_is_refused_not_taken(clinic, capsys):
    from segmenta.interop.models import PatientIdentifier

    first = make_patient(clinic, family="Weiß", given="Eva", birth_date="1961-03-17", record_number="4711")
    PatientIdentifier.objects.create(clinic=clinic, patient=first, system="gdt", value="0815")
    with pytest.raises(CommandError) as error:
        call_command("gdt", "read", "--clinic", "Praxis Nord", str(CP437))
    assert error.value.returncode == 2
    assert str(error.value).startswith(f"{CP437}: field 3000: the chart with record number 4711 is patient 0815")
    assert PatientIdentifier.objects.count() == 1
