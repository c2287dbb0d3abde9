"""The 6310 result of a signed session: written by `segmenta gdt write` and, once a signature
is committed, into the outbox; a missing outbox or number never undoes the signature."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from segmenta.audit.models import AuditEvent
from segmenta.interop.gdt import config, format, results
from segmenta.interop.models import PatientIdentifier
from segmenta.patients import models as pm
from segmenta.treatment.models import Amendment, ComplaintScore, Injection, Session
from segmenta.treatment.sessions import sign


@pytest.fixture
def draft(patient, doctor):
    patient.record_number = "4711"
    patient.save()
    # As a request of the practice system for its patient 4711 leaves it (test_gdt_requests).
    PatientIdentifier.objects.create(clinic=patient.clinic, patient=patient, system="gdt", value="4711")
    doctor.first_name, doctor.last_name = "Hanna", "Huneke"
    doctor.save()
    complaint = pm.Complaint.objects.create(patient=patient, description="Kopfschmerz")
    session = Session.objects.create(patient=patient, started_at="2026-11-25T10:15:00+01:00", practitioner=doctor,
                                     notes="Gut vertragen. Nächste Sitzung in einer Woche.")
    ComplaintScore.objects.create(session=session, complaint=complaint, pre_nrs=7, post_nrs=3)
    for order, (target, side, ml, verdict) in enumerate((("stellate", "right", Decimal("2"), "ok"),
                                                         ("scar", "", Decimal("1.5"), "warn")), start=1):
        Injection.objects.create(session=session, order=order, time=session.started_at, target=target, side=side,
                                 regions=[{"region": "neck", "side": "right"}] if target == "stellate" else [],
                                 concentration_percent=1, volume_ml=ml, verdict=verdict, mg=ml * 10,
                                 cumulative_mg=ml * 10, relief_percent=80 if order == 1 else None)
    return session


def signed(session, user, capture):
    with capture(execute=True):
        sign(session, user)
    return session


@pytest.fixture
def outbox(tmp_path, settings):
    folder = tmp_path / "outbox"
    folder.mkdir()
    settings.SEGMENTA_GDT_OUTBOX = str(folder)
    settings.SEGMENTA_GDT_PVS_ID = "PRAX_EDV"
    return folder


def test_signing_writes_the_result_into_the_outbox_after_the_commit(draft, doctor, outbox,
                                                                     django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        sign(draft, doctor)
    assert list(outbox.iterdir()) == []  # nothing before the signature is committed
    for callback in callbacks:
        callback()
    written = outbox / "PRAXSEGM.gdt"
    record = format.parse(written.read_bytes())
    assert (record["record_type"], record["version"], record["charset"]) == ("6310", "03.00", "2")
    assert (record["receiver"], record["sender"]) == ("PRAX_EDV", "SEGMENTA")
    assert record["patient"] == {"number": "4711", "family_name": "Muster", "given_name": "Erika",
                                 "birth_date": datetime.date(1970, 1, 2), "sex": "female"}
    assert (record["request"]["date"], record["request"]["time"], record["request"]["procedure"]) == \
        (datetime.date(2026, 11, 25), "101500", "ALLG00")
    event = AuditEvent.objects.get(action="export", object_type="session")
    assert event.detail["gdt"] == "PRAXSEGM.gdt" and event.user == doctor


def test_the_result_summarises_the_session(draft, doctor, outbox, settings, django_capture_on_commit_callbacks):
    settings.SEGMENTA_GDT_LANGUAGE = "en"
    signed(draft, doctor, django_capture_on_commit_callbacks)
    record = format.parse((outbox / "PRAXSEGM.gdt").read_bytes())
    findings, text = format.values(record, "6220"), format.values(record, "6228")
    assert all(len(line) <= format.TEXT_WIDTH for line in findings + text)
    summary = " ".join(findings)
    assert summary.startswith("Neural therapy session of 2026-11-25 10:15, signed ")
    assert " by Hanna Huneke Techniques: Stellate ganglion, Scar Sites: Neck (right) " in summary
    assert "Drug: Procaine 1 %; total dose 35 mg in 2 injections" in summary
    assert "Safety check: 1 OK, 1 with a warning, 0 blocked" in summary
    assert summary.endswith("Kopfschmerz: NRS 7 before, 3 after")
    assert " ".join(text[:2]) == ("#1 Stellate ganglion, right · 2 mL procaine 1 % · 10:15 · 20 mg · Neck (right) · "
                                  "safety check: OK · immediate relief 80 %")
    assert text[-3:] == ["#2 Scar · 1.5 mL procaine 1 % · 10:15 · 15 mg · safety check: Warning", "Note:",
                         "Gut vertragen. Nächste Sitzung in einer Woche."]


def test_the_result_is_in_german_unless_configured_otherwise(draft, doctor, outbox,
                                                             django_capture_on_commit_callbacks):
    signed(draft, doctor, django_capture_on_commit_callbacks)
    record = format.parse((outbox / "PRAXSEGM.gdt").read_bytes())
    text = " ".join(format.values(record, "6220") + format.values(record, "6228"))
    # The knowledge base's own German labels, and the date as German writes it.
    assert "Ganglion stellatum" in text and "Narbe" in text and "Hals / Nacken (rechts)" in text and "Procain" in text
    assert "25.11.2026 10:15" in text and "Stellate" not in text


def test_an_amendment_and_the_english_setting_show_in_a_result_written_on_the_command_line(
        draft, doctor, tmp_path, settings, capsys, django_capture_on_commit_callbacks):
    signed(draft, doctor, django_capture_on_commit_callbacks)
    Amendment.objects.create(session=draft, author=doctor, reason="dose corrected", text="The scar got 1.5 mL.")
    settings.SEGMENTA_GDT_LANGUAGE = "en"
    settings.SEGMENTA_GDT_CHARSET = "3"
    settings.SEGMENTA_GDT_VERSION = "02.10"
    target = tmp_path / "result.gdt"
    call_command("gdt", "write", str(draft.pk), "-o", str(target))
    assert capsys.readouterr().out.strip() == str(target)
    record = format.parse(target.read_bytes())
    assert (record["charset"], record["version"]) == ("3", "02.10")
    text = format.values(record, "6228")
    assert any(line.startswith("Amendment of ") and line.endswith(": dose corrected") for line in text)
    assert "The scar got 1.5 mL." in text
    event = AuditEvent.objects.get(action="export", detail__via="cli")
    assert (event.patient, event.object_id, event.detail["gdt"]) == (draft.patient, str(draft.pk), "result.gdt")
    assert "Techniques: Stellate ganglion, Scar" in " ".join(format.values(record, "6220"))


def test_a_draft_and_a_patient_without_the_practice_systems_number_are_not_written(draft, doctor, tmp_path,
                                                                                    django_capture_on_commit_callbacks):
    target = tmp_path / "result.gdt"
    with pytest.raises(CommandError, match=f"^SESSION_ID: session {draft.pk} is a draft") as error:
        call_command("gdt", "write", str(draft.pk), "-o", str(target))
    assert error.value.returncode == 2
    signed(draft, doctor, django_capture_on_commit_callbacks)
    PatientIdentifier.objects.filter(patient=draft.patient_id).delete()
    with pytest.raises(CommandError, match="^3000: no request of the practice system has named this patient"):
        call_command("gdt", "write", str(draft.pk), "-o", str(target))
    assert not target.exists()


def test_write_refuses_unknown_sessions_and_places_inside_the_package(draft, tmp_path):
    from django.conf import settings

    for args, words in (([str(draft.pk + 100), "-o", str(tmp_path / "r.gdt")], f"SESSION_ID: no session {draft.pk + 100}"),
                        ([str(draft.pk), "-o", str(settings.PACKAGE_DIR / "r.gdt")], "-o: "),
                        ([str(draft.pk), "-o", str(tmp_path / "no" / "r.gdt")], "does not exist")):
        with pytest.raises(CommandError) as error:
            call_command("gdt", "write", *args)
        assert error.value.returncode == 2 and words in str(error.value)
    assert not (settings.PACKAGE_DIR / "r.gdt").exists()


def test_a_second_result_waiting_beside_an_unread_one_is_numbered(patient, doctor, outbox, draft,
                                                                   django_capture_on_commit_callbacks):
    signed(draft, doctor, django_capture_on_commit_callbacks)
    second = Session.objects.create(patient=patient, started_at="2026-11-26T09:00:00+01:00", practitioner=doctor)
    signed(second, doctor, django_capture_on_commit_callbacks)
    assert sorted(p.name for p in outbox.iterdir()) == ["PRAXSEGM.001", "PRAXSEGM.gdt"]
    second_record = format.parse((outbox / "PRAXSEGM.001").read_bytes())
    assert second_record["request"]["date"] == datetime.date(2026, 11, 26)


def test_a_missing_outbox_never_undoes_the_signature_and_is_logged_and_audited(draft, doctor, tmp_path, settings,
                                                                               caplog,
                                                                               django_capture_on_commit_callbacks):
    settings.SEGMENTA_GDT_OUTBOX = str(tmp_path / "not-there")
    signed(draft, doctor, django_capture_on_commit_callbacks)
    draft.refresh_from_db()
    assert draft.signed
    event = AuditEvent.objects.get(action="export", object_type="session")
    assert event.detail["gdt"] == "not written" and "not-there" in event.detail["error"]
    assert any("not written" in message for message in caplog.messages)


def test_a_patient_without_a_number_is_signed_and_the_missing_result_audited(draft, doctor, outbox,
                                                                            django_capture_on_commit_callbacks):
    PatientIdentifier.objects.filter(patient=draft.patient_id).delete()  # a record number typed in by hand
    signed(draft, doctor, django_capture_on_commit_callbacks)
    assert list(outbox.iterdir()) == []
    event = AuditEvent.objects.get(action="export", object_type="session")
    assert "no request of the practice system has named this patient" in event.detail["error"]


def test_without_an_outbox_signing_writes_nothing_and_audits_nothing_more(draft, doctor, settings,
                                                                          django_capture_on_commit_callbacks):
    settings.SEGMENTA_GDT_OUTBOX = ""
    signed(draft, doctor, django_capture_on_commit_callbacks)
    assert not AuditEvent.objects.filter(action="export").exists()


@pytest.mark.parametrize(("name", "value", "words"), [
    ("SEGMENTA_GDT_CHARSET", "4", "SEGMENTA_GDT_CHARSET: '4' is not 1 (7-bit)"),
    ("SEGMENTA_GDT_VERSION", "3.0", "SEGMENTA_GDT_VERSION: '3.0' is not 03.00 or 02.10"),
    ("SEGMENTA_GDT_PVS_ID", "MUCH_TOO_LONG", "SEGMENTA_GDT_PVS_ID: 'MUCH_TOO_LONG' is not a GDT id"),
    ("SEGMENTA_GDT_LANGUAGE", "fr", "SEGMENTA_GDT_LANGUAGE: 'fr' is not a language"),
])
def test_settings_that_cannot_work_are_named(settings, name, value, words):
    setattr(settings, name, value)
    with pytest.raises(config.ConfigError, match=re.escape(words)):
        config.load()


def test_a_record_cannot_be_made_of_a_draft(draft):
    with pytest.raises(results.ResultError) as error:
        results.record(draft, config.load())
    assert error.value.field == "SESSION_ID"


def test_a_signature_rolled_back_writes_no_result(draft, doctor, outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            sign(draft, doctor)
            raise RuntimeError("the request failed after signing")
    draft.refresh_from_db()
    assert not draft.signed and list(outbox.iterdir()) == []


def test_signing_on_the_session_page_sends_the_result_with_body_map_sites(draft, doctor_client, outbox, settings,
                                                                          django_capture_on_commit_callbacks):
    from django.urls import reverse

    settings.SEGMENTA_GDT_LANGUAGE = "en"
    Injection.objects.filter(session=draft, order=2).update(regions=[{"choir": 101}])
    with django_capture_on_commit_callbacks(execute=True):
        response = doctor_client.post(reverse("treatment:sign", args=[draft.pk]))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.signed
    summary = " ".join(format.values(format.parse((outbox / "PRAXSEGM.gdt").read_bytes()), "6220"))
    assert "Sites: Neck (right), Top of head (front) (right)" in summary


def test_a_request_read_and_its_session_signed_come_back_as_a_result_for_the_same_patient(
        doctor, outbox, capsys, django_capture_on_commit_callbacks):
    from pathlib import Path

    request = Path(__file__).parent / "fixtures" / "request_6302_gdt30_cp437.gdt"
    call_command("gdt", "read", "--clinic", "Praxis Nord", str(request))
    patient = pm.Patient.objects.get(pk=int(capsys.readouterr().out))
    session = Session.objects.create(patient=patient, started_at="2026-11-25T10:15:00+01:00", practitioner=doctor)
    signed(session, doctor, django_capture_on_commit_callbacks)
    asked, answered = format.parse(request.read_bytes()), format.parse((outbox / "PRAXSEGM.gdt").read_bytes())
    assert answered["patient"] == asked["patient"]
    assert (answered["receiver"], answered["sender"]) == (asked["sender"], asked["receiver"])


def test_a_record_number_changed_later_never_sends_a_result_to_another_patient(
        doctor, outbox, capsys, django_capture_on_commit_callbacks):
    """The practice system's patient 4711 opened Jürgen's chart. The clinic then renumbers the
    charts: Jürgen's becomes A-1, and another patient's chart gets 4711. Jürgen's result still
    goes to 4711 (his number in the practice system); the other patient's goes nowhere, as the
    practice system never named her; and a request for 4711 still opens Jürgen's chart."""
    from pathlib import Path

    from segmenta.conftest import make_patient

    request = Path(__file__).parent / "fixtures" / "request_6302_gdt30_cp437.gdt"
    call_command("gdt", "read", "--clinic", "Praxis Nord", str(request))
    juergen = pm.Patient.objects.get(pk=int(capsys.readouterr().out))
    assert juergen.record_number == "4711"
    juergen.record_number = "A-1"
    juergen.save()
    other = make_patient(juergen.clinic, family="Anders", given="Anna", birth_date="1950-05-05", record_number="4711")

    theirs = Session.objects.create(patient=other, started_at="2026-11-25T09:00:00+01:00", practitioner=doctor)
    signed(theirs, doctor, django_capture_on_commit_callbacks)
    assert list(outbox.iterdir()) == []
    assert "no request of the practice system" in AuditEvent.objects.get(
        action="export", object_type="session", object_id=str(theirs.pk)).detail["error"]

    his = Session.objects.create(patient=juergen, started_at="2026-11-25T10:15:00+01:00", practitioner=doctor)
    signed(his, doctor, django_capture_on_commit_callbacks)
    answered = format.parse((outbox / "PRAXSEGM.gdt").read_bytes())
    assert answered["patient"]["number"] == "4711" and answered["patient"]["family_name"] == "Größer-Öztürk"

    call_command("gdt", "read", "--clinic", "Praxis Nord", str(request))
    assert int(capsys.readouterr().out) == juergen.pk
    # Anna's chart, numbered 4711 by hand, is not taken for the practice system's 4711 either.
    assert PatientIdentifier.objects.filter(system="gdt").values_list("patient", "value").get() == (juergen.pk, "4711")


def test_an_exchange_folder_inside_the_package_is_refused(settings):
    settings.SEGMENTA_GDT_INBOX = str(settings.PACKAGE_DIR / "interop")
    with pytest.raises(config.ConfigError, match="^SEGMENTA_GDT_INBOX: .* is inside the package"):
        config.load()
