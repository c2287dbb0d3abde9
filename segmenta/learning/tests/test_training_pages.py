"""The Training page (/learn/training/), the record form, a practitioner's period start, the
clinic admin's team view and requirements, and expired training in the scope check."""
from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from segmenta.accounts.models import TrainingRecord
from segmenta.audit.models import AuditEvent
from segmenta.conftest import login_verified, make_user
from segmenta.learning.cme import add_years
from segmenta.learning.models import ClinicRequirement, TrainingCycle

PDF = b"%PDF-1.4 certificate"


@pytest.fixture
def german_clinic(clinic):
    clinic.jurisdiction = "DE"
    clinic.save()
    return clinic


def record(user, day, credits=None, **extra):
    return TrainingRecord.objects.create(profile=user.profile, course=extra.pop("course", "Grundkurs"),
                                         provider="IGNH", date=day, hours=8, credits=credits, **extra)


def test_the_german_requirement_says_what_is_missing_by_when(german_clinic, doctor, doctor_client):
    today = timezone.localdate()
    start = add_years(today, -1)
    TrainingCycle.objects.create(user=doctor, requirement="de-sgb5-95d", starts=start)
    record(doctor, today - timedelta(days=100), 120)
    record(doctor, today - timedelta(days=10), 96)
    record(doctor, start - timedelta(days=1), 500)  # before the period: does not count
    html = doctor_client.get(reverse("learning:training")).content.decode()
    due = add_years(start, 5) - timedelta(days=1)
    assert f"34 points missing by {due.isoformat()}" in html
    assert "216 earned since" in html


def test_without_a_period_start_the_last_five_years_count_and_are_missing_now(german_clinic, doctor, doctor_client):
    record(doctor, timezone.localdate() - timedelta(days=30), Decimal("12.5"))
    html = doctor_client.get(reverse("learning:training")).content.decode()
    assert "237.5 points missing now" in html


def test_an_unknown_jurisdiction_is_said_to_be_unknown_not_that_nothing_applies(clinic, doctor, doctor_client):
    html = unescape(doctor_client.get(reverse("learning:training")).content.decode())
    assert "The clinic's jurisdiction is not recorded, so Segmenta cannot tell which statutory" in html
    assert "holds no statutory requirement" not in html


def test_an_unknown_profession_is_said_to_be_unknown(german_clinic, assistant):
    client = login_verified(Client(), assistant)
    html = unescape(client.get(reverse("learning:training")).content.decode())
    assert "Your profession is not recorded, so Segmenta cannot tell which statutory" in html
    assert "holds no statutory requirement" not in html


def test_a_known_jurisdiction_without_a_requirement_in_the_knowledge_base_says_so(clinic, doctor, doctor_client):
    clinic.jurisdiction = "ES"
    clinic.save()
    html = unescape(doctor_client.get(reverse("learning:training")).content.decode())
    assert "The knowledge base holds no statutory requirement for your profession" in html
    assert "not recorded" not in html


def test_a_record_is_added_with_its_credits_body_expiry_and_certificate(german_clinic, doctor, doctor_client):
    today = timezone.localdate()
    response = doctor_client.post(reverse("learning:training_new"), {
        "kind": "certificate", "course": "Fähigkeitsausweis Neuraltherapie", "awarding_body": "santh",
        "provider": "SANTH", "date": (today - timedelta(days=3)).isoformat(), "credits": "24",
        "expiry": add_years(today, 3).isoformat(), "hours": "40", "techniques": ["wheal", "stellate"],
        "certificate": SimpleUploadedFile("cert.pdf", PDF)})
    assert response.status_code == 302
    item = TrainingRecord.objects.get()
    assert (item.kind, item.awarding_body, item.credits, item.expiry) == (
        "certificate", "santh", Decimal("24"), add_years(today, 3))
    assert item.certificate.read() == PDF and item.techniques == ["wheal", "stellate"]
    assert AuditEvent.objects.filter(action="create", object_type="trainingrecord", object_id=str(item.pk)).exists()


def test_bad_input_is_named_by_its_field_and_nothing_is_stored(german_clinic, doctor_client):
    today = timezone.localdate()
    response = doctor_client.post(reverse("learning:training_new"), {
        "kind": "webinar", "course": "X", "awarding_body": "nobody", "provider": "P", "date": today.isoformat(),
        "credits": "-1", "hours": "8"})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"kind", "awarding_body", "credits"}
    response = doctor_client.post(reverse("learning:training_new"), {
        "kind": "course", "course": "X", "provider": "P", "date": today.isoformat(), "hours": "8",
        "expiry": (today - timedelta(days=1)).isoformat()})
    assert set(response.context["form"].errors) == {"expiry"}
    assert not TrainingRecord.objects.exists()


def test_a_certificate_whose_content_is_not_what_its_name_says_is_refused(german_clinic, doctor, doctor_client):
    today = timezone.localdate()
    data = {"kind": "course", "course": "Grundkurs", "provider": "IGNH", "date": today.isoformat(), "hours": "8"}
    for name, content in (("cert.pdf", b"<html><script>alert(1)</script>"), ("cert.png", PDF),
                          ("cert.jpg", b"GIF89a")):
        response = doctor_client.post(reverse("learning:training_new"),
                                      {**data, "certificate": SimpleUploadedFile(name, content)})
        assert response.status_code == 400
        assert "no PDF, PNG or JPEG image" in str(response.context["form"].errors["certificate"])
        assert not TrainingRecord.objects.exists()
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 20
    response = doctor_client.post(reverse("learning:training_new"),
                                  {**data, "certificate": SimpleUploadedFile("scan.PNG", png)})
    assert response.status_code == 302 and TrainingRecord.objects.get().certificate.read() == png
    # Editing other fields of a record whose file is stored does not check that file again.
    item = TrainingRecord.objects.get()
    response = doctor_client.post(reverse("learning:training_edit", args=[item.pk]), {**data, "hours": "9"})
    assert response.status_code == 302


def test_editing_is_audited_with_what_changed_and_only_for_the_owner(german_clinic, doctor, doctor_client, admin_user):
    item = record(doctor, timezone.localdate(), 8)
    url = reverse("learning:training_edit", args=[item.pk])
    response = doctor_client.post(url, {"kind": "cme_event", "course": "Grundkurs", "provider": "IGNH",
                                        "date": item.date.isoformat(), "credits": "10", "hours": "8"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.credits == 10 and item.kind == "cme_event"
    event = AuditEvent.objects.get(action="update", object_type="trainingrecord")
    assert event.detail["credits"] == ["8.0", "10"] and "course" not in event.detail
    assert login_verified(Client(), admin_user).get(url).status_code == 404


def test_a_period_start_is_saved_audited_and_cleared(german_clinic, doctor, doctor_client):
    url = reverse("learning:training_cycle", args=["de-sgb5-95d"])
    doctor_client.post(url, {"cycle-de-sgb5-95d-starts": "2024-07-01"})
    assert TrainingCycle.objects.get(user=doctor).starts.isoformat() == "2024-07-01"
    assert AuditEvent.objects.filter(action="create", object_type="trainingcycle").exists()
    doctor_client.post(url, {"cycle-de-sgb5-95d-starts": ""})
    assert not TrainingCycle.objects.exists()
    assert doctor_client.post(reverse("learning:training_cycle", args=["made-up"]), {}).status_code == 404


def test_the_team_view_is_for_clinic_admins(german_clinic, doctor_client, admin_client):
    assert doctor_client.get(reverse("learning:training_team")).status_code == 404
    assert admin_client.get(reverse("learning:training_team")).status_code == 200


def test_the_team_view_lists_each_member_with_what_is_missing(german_clinic, doctor, admin_client, assistant):
    record(doctor, timezone.localdate() - timedelta(days=5), 50,
           expiry=timezone.localdate() + timedelta(days=20), course="Diplom")
    html = admin_client.get(reverse("learning:training_team")).content.decode()
    row = html[html.index(f'id="member-{doctor.pk}"'):]
    row = row[:row.index("</tr>")]
    assert "200 points missing now" in row and "expiring" in row and "Diplom" in row
    # an assistant without a recorded profession: which statutory requirement applies is unknown
    # (this said "none applies" before, a false all-clear)
    other = html[html.index(f'id="member-{assistant.pk}"'):]
    assert "Profession not recorded: the statutory requirements are unknown." in other[:other.index("</tr>")]
    assert "none on record" not in other[:other.index("</tr>")]
    assert AuditEvent.objects.filter(action="view", object_type="training_team").exists()


def test_the_team_view_costs_the_same_queries_for_a_small_and_a_large_team(german_clinic, admin_client):
    ClinicRequirement.objects.create(clinic=german_clinic, name="Neural therapy refresher", credits=16,
                                     period_years=2)

    def grow(count):
        for n in range(count):
            user = make_user(f"member{TrainingRecord.objects.count()}-{n}", german_clinic)
            record(user, timezone.localdate(), 4)
            record(user, timezone.localdate() - timedelta(days=40), 4)
            TrainingCycle.objects.create(user=user, requirement="de-sgb5-95d", starts="2023-01-01")

    def cost():
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(reverse("learning:training_team")).status_code == 200
        return len(queries)

    grow(1)
    admin_client.get(reverse("learning:training_team"))  # the clinic's knowledge base is cached after this
    small = cost()
    grow(5)
    assert cost() == small


def test_a_clinic_requirement_is_set_by_an_admin_and_applies_to_its_role(german_clinic, doctor, doctor_client,
                                                                       admin_client, assistant):
    response = admin_client.post(reverse("learning:training_requirements"), {
        "name": "Neural therapy refresher", "credits": "16", "period_years": "2", "kinds": ["course"],
        "awarding_bodies": ["ignh", "dgfan"], "role": "practitioner", "profession": ""})
    assert response.status_code == 302
    own = ClinicRequirement.objects.get()
    assert (own.clinic, own.kinds, own.awarding_bodies) == (german_clinic, ["course"], ["ignh", "dgfan"])
    assert AuditEvent.objects.filter(action="create", object_type="clinicrequirement").exists()
    record(doctor, timezone.localdate(), 6, awarding_body="ignh")
    record(doctor, timezone.localdate(), 6, awarding_body="landesaerztekammer")  # not a body that counts
    html = doctor_client.get(reverse("learning:training")).content.decode()
    assert "Neural therapy refresher" in html and "10 points missing now" in html
    assistant_page = login_verified(Client(), assistant).get(reverse("learning:training")).content.decode()
    assert "Neural therapy refresher" not in assistant_page
    assert doctor_client.post(reverse("learning:training_requirements"), {"name": "x"}).status_code == 404


def test_an_admin_edits_and_removes_a_requirement(german_clinic, admin_client, other_clinic):
    own = ClinicRequirement.objects.create(clinic=german_clinic, name="Refresher", credits=16, period_years=2)
    response = admin_client.post(reverse("learning:training_requirement", args=[own.pk]), {
        "name": "Refresher", "credits": "0", "period_years": "11"})
    assert set(response.context["form"].errors) == {"credits", "period_years"}
    admin_client.post(reverse("learning:training_requirement", args=[own.pk]), {
        "name": "Refresher", "credits": "20", "period_years": "2"})
    own.refresh_from_db()
    assert own.credits == 20
    foreign = ClinicRequirement.objects.create(clinic=other_clinic, name="Theirs", credits=1, period_years=1)
    assert admin_client.post(reverse("learning:training_requirement_delete", args=[foreign.pk])).status_code == 404
    admin_client.post(reverse("learning:training_requirement_delete", args=[own.pk]))
    assert list(ClinicRequirement.objects.all()) == [foreign]


def test_an_expired_training_no_longer_unlocks_its_techniques(doctor):
    today = timezone.localdate()
    record(doctor, today - timedelta(days=900), techniques=["stellate", "wheal"], expiry=today - timedelta(days=1))
    record(doctor, today - timedelta(days=400), techniques=["wheal"], expiry=today)  # valid on its last day
    assert doctor.profile.trained_techniques(today) == ["wheal"]
    assert doctor.profile.lapsed_techniques(today) == {"stellate": today - timedelta(days=1)}


def test_the_profile_page_counts_as_covered_only_what_the_scope_check_counts_today(doctor, doctor_client):
    today = timezone.localdate()
    record(doctor, today - timedelta(days=900), techniques=["stellate"], expiry=today - timedelta(days=1))
    # dated after today (entered past the form, e.g. from an import): no training yet
    record(doctor, today + timedelta(days=1), techniques=["scar"])
    record(doctor, today, techniques=["wheal"])
    assert doctor.profile.trained_techniques(today) == ["wheal"]
    html = doctor_client.get(reverse("accounts:profile")).content.decode()
    covered = html[html.index('<span class="trained">'):]
    assert covered[:covered.index("</span>")].endswith(">Wheal (intracutaneous)")


def test_the_team_view_shows_only_the_admins_own_clinic(german_clinic, doctor, admin_client, outsider, other_clinic):
    html = admin_client.get(reverse("learning:training_team")).content.decode()
    assert f'id="member-{doctor.pk}"' in html and f'id="member-{outsider.pk}"' not in html
    assert admin_client.get(reverse("learning:training_team") + f"?clinic={other_clinic.pk}").status_code == 404
    assert admin_client.get(reverse("learning:training_requirements") + f"?clinic={other_clinic.pk}").status_code == 404
    theirs = ClinicRequirement.objects.create(clinic=other_clinic, name="Theirs", credits=4, period_years=1)
    assert admin_client.get(reverse("learning:training_requirement", args=[theirs.pk])).status_code == 404
    assert admin_client.post(reverse("learning:training_requirement_delete", args=[theirs.pk])).status_code == 404
    assert ClinicRequirement.objects.filter(pk=theirs.pk).exists()


def test_a_condition_the_credits_do_not_show_is_named_and_never_called_met(clinic, doctor, doctor_client, admin_client):
    """Austria's DFP asks 200 of the 250 points in medical subjects, which the recorded credits
    do not tell: 250 points of anything are "met as far as counted", with the condition named."""
    clinic.jurisdiction = "AT"
    clinic.save()
    record(doctor, timezone.localdate() - timedelta(days=30), 250)
    html = unescape(doctor_client.get(reverse("learning:training")).content.decode())
    standing = html.split('id="standing-kbat-dfp"')[1].split("</li>")[0]
    assert "met as far as counted" in standing and "200 of the 250 points" in standing
    assert ">met<" not in standing
    team = unescape(admin_client.get(reverse("learning:training_team")).content.decode())
    assert "met as far as counted" in team and "200 of the 250 points" in team


def test_a_requirement_without_such_a_condition_is_simply_met(german_clinic, doctor, doctor_client):
    record(doctor, timezone.localdate() - timedelta(days=30), 250)
    html = unescape(doctor_client.get(reverse("learning:training")).content.decode())
    standing = html.split('id="standing-kbde-sgb5-95d"')[1].split("</li>")[0]
    assert ">met<" in standing and "as far as counted" not in standing


def stored_certificates(settings, user):
    folder = settings.MEDIA_ROOT / "certificates" / str(user.pk)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize("editing", [False, True])
def test_an_upload_whose_save_rolls_back_leaves_no_file_behind(german_clinic, doctor, doctor_client, settings,
                                                               monkeypatch, editing):
    today = timezone.localdate()
    data = {"kind": "course", "course": "Grundkurs", "provider": "IGNH", "date": today.isoformat(), "hours": "8"}
    url = reverse("learning:training_new")
    if editing:
        assert doctor_client.post(url, {**data, "certificate": SimpleUploadedFile("old.pdf", PDF)}).status_code == 302
        item = TrainingRecord.objects.get()
        url = reverse("learning:training_edit", args=[item.pk])
    before = stored_certificates(settings, doctor)

    def failing_audit(*args, **kwargs):
        raise RuntimeError("the audit trail is unavailable")

    monkeypatch.setattr("segmenta.learning.views_ce.audit", failing_audit)
    with pytest.raises(RuntimeError):
        doctor_client.post(url, {**data, "hours": "9", "certificate": SimpleUploadedFile("new.pdf", PDF + b" new")})
    assert stored_certificates(settings, doctor) == before  # the new file is gone, an old one stays
    if editing:
        item.refresh_from_db()
        assert item.hours == 8 and item.certificate.read() == PDF
    else:
        assert not TrainingRecord.objects.exists()
