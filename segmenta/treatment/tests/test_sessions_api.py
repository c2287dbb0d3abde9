import json

import pytest
from django.test import Client
from django.urls import reverse

from segmenta.accounts.models import ApiToken
from segmenta.audit.models import AuditEvent
from segmenta.conftest import complete_chart
from segmenta.patients import models as pm
from segmenta.treatment.models import Injection, Session, SignedSessionError


def post(client, name, args, body):
    return client.post(reverse(f"api:{name}", args=args), json.dumps(body), content_type="application/json")


@pytest.fixture
def session_id(api_client, patient, doctor):
    from segmenta.accounts.models import TrainingRecord
    from segmenta.knowledge import vocabulary

    TrainingRecord.objects.create(profile=doctor.profile, course="Basic", provider="Society", date="2020-01-01",
                                  hours=40, techniques=vocabulary.codes("injection_target"))
    pm.WeightMeasurement.objects.create(patient=patient, date="2026-11-01", weight_kg=50)
    complete_chart(patient, doctor)
    response = post(api_client, "create_session", [patient.pk], {"started_at": "2026-11-25T10:00:00+01:00",
                                                                 "notes": "first session"})
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def wheal(**extra):
    return {"target": "wheal", "concentration_percent": 1, "volume_ml": 0.5,
            "regions": [{"region": "lower_back", "side": "left"}], **extra}


def test_injections_are_checked_and_cumulated(api_client, session_id):
    first = post(api_client, "create_injection", [session_id], wheal())
    assert first.status_code == 201 and first.json()["verdict"] == "ok" and first.json()["mg"] == 5
    second = post(api_client, "create_injection", [session_id], {**wheal(), "target": "paravertebral",
                                                                 "volume_ml": 20})
    assert second.json()["cumulative_mg"] == 205


def test_a_block_needs_a_physicians_written_override(api_client, session_id):
    big = {**wheal(), "target": "limb_nerve", "volume_ml": 40}  # 400 mg over the 350 mg limit for 50 kg
    refused = post(api_client, "create_injection", [session_id], big)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "override_reason"
    assert not Injection.objects.exists()
    accepted = post(api_client, "create_injection", [session_id], {**big, "override_reason": "Weight re-measured: 62 kg"})
    assert accepted.status_code == 201 and accepted.json()["verdict"] == "block"
    event = AuditEvent.objects.get(object_type="injection")
    assert event.detail["override_reason"] == "Weight re-measured: 62 kg" and "session_limit" in event.detail["codes"]


def test_a_heilpraktiker_cannot_override_a_block(session_id, clinic):
    from segmenta.conftest import make_user

    hp = make_user("hp", clinic, "practitioner", "heilpraktiker")
    _token, raw = ApiToken.issue(hp)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = post(client, "create_injection", [session_id], {**wheal(), "target": "stellate",
                                                               "regions": [{"region": "neck", "side": "left"}],
                                                               "override_reason": "I am sure"})
    assert response.status_code == 422 and "No override lifts it" in response.json()["detail"]


def test_a_physician_cannot_override_a_scope_block_for_the_practitioner_who_injects(api_client, session_id, clinic):
    """Scope of practice is the law's: a physician's written reason does not widen a Heilpraktiker's licence."""
    from segmenta.conftest import make_user

    make_user("hp", clinic, "practitioner", "heilpraktiker")
    response = post(api_client, "create_injection", [session_id], {
        **wheal(), "target": "stellate", "regions": [{"region": "neck", "side": "left"}], "performed_by": "hp",
        "override_reason": "supervised"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "performed_by"
    assert not Injection.objects.exists()


def test_an_injection_charted_for_someone_else_says_so(api_client, session_id, clinic, admin_user):
    response = post(api_client, "create_injection", [session_id], {**wheal(), "performed_by": "boss"})
    assert response.status_code == 201
    assert "charted_for_another" in [r["code"] for r in response.json()["reasons"]]


def test_the_clinics_jurisdiction_governs_and_a_licence_from_elsewhere_warns(api_client, session_id, clinic, doctor):
    """A German Heilpraktiker licence allows nothing in an Austrian practice (Ärztegesetz §3)."""
    from segmenta.conftest import make_user

    clinic.jurisdiction = "AT"
    clinic.save()
    hp = make_user("hp", clinic, "practitioner", "heilpraktiker")
    hp.profile.licence_jurisdiction = "DE"
    hp.profile.save()
    _token, raw = ApiToken.issue(hp)
    response = post(Client(HTTP_AUTHORIZATION=f"Bearer {raw}"), "create_injection", [session_id], wheal())
    assert response.status_code == 422 and "Austria" in response.json()["detail"]
    doctor.profile.licence_jurisdiction = "DE"
    doctor.profile.save()
    response = post(api_client, "create_injection", [session_id], wheal())
    assert response.status_code == 201
    assert "licensed_elsewhere" in [r["code"] for r in response.json()["reasons"]]


def test_signing_freezes_the_session(api_client, session_id):
    post(api_client, "create_injection", [session_id], wheal())
    signed = api_client.post(reverse("api:sign_session", args=[session_id]))
    assert signed.status_code == 200
    body = signed.json()
    assert body["status"] == "signed" and len(body["content_hash"]) == 64
    assert api_client.patch(reverse("api:update_session", args=[session_id]), {"notes": "changed"},
                            content_type="application/json").status_code == 409
    assert post(api_client, "create_injection", [session_id], wheal()).status_code == 409
    session = Session.objects.get(pk=session_id)
    assert session.compute_hash() == session.content_hash
    with pytest.raises(SignedSessionError):
        session.injections.first().delete()
    with pytest.raises(SignedSessionError):
        session.notes = "x"
        session.save()


def test_draft_sessions_can_be_patched(api_client, session_id):
    response = api_client.patch(reverse("api:update_session", args=[session_id]), {"notes": "better notes"},
                                content_type="application/json")
    assert response.status_code == 200 and response.json()["notes"] == "better notes"


def test_amendments_are_appended_with_a_reason(api_client, session_id):
    assert post(api_client, "create_amendment", [session_id], {"reason": "r", "text": "t"}).status_code == 409
    api_client.post(reverse("api:sign_session", args=[session_id]))
    response = post(api_client, "create_amendment", [session_id], {"reason": "Typo in dose note",
                                                                   "text": "The scar was 4 cm, not 6 cm."})
    assert response.status_code == 201
    body = api_client.get(reverse("api:read_session", args=[session_id])).json()
    assert [a["reason"] for a in body["amendments"]] == ["Typo in dose note"]
    assert post(api_client, "create_amendment", [session_id], {"reason": "", "text": "x"}).status_code == 422


def test_assistants_document_but_never_sign(session_id, assistant):
    _token, raw = ApiToken.issue(assistant)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert post(client, "create_injection", [session_id], wheal()).status_code == 201
    assert client.post(reverse("api:sign_session", args=[session_id])).status_code == 403


def test_bad_injection_input_names_the_field(api_client, session_id):
    response = post(api_client, "create_injection", [session_id], {**wheal(), "target": "elbow"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "target"
    response = post(api_client, "create_injection", [session_id], {**wheal(), "regions": [{"region": "shulder"}]})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "regions"


def test_another_clinics_session_is_404(session_id, outsider):
    _token, raw = ApiToken.issue(outsider)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get(reverse("api:read_session", args=[session_id])).status_code == 404
    assert post(client, "create_injection", [session_id], wheal()).status_code == 404


def test_an_injection_records_its_injector_product_lot_and_expiry(api_client, session_id, doctor, clinic):
    from segmenta.treatment.models import Product

    product = Product.objects.create(clinic=clinic, name="Procaine 1 % 2 mL", drug="procaine",
                                     concentration_percent=1)
    body = {"target": "wheal", "volume_ml": 0.5, "regions": [{"region": "lower_back", "side": "left"}],
            "product": product.pk, "lot": "P-77", "expiry": "2027-03-31", "performed_by": "doctor"}
    response = post(api_client, "create_injection", [session_id], body)
    assert response.status_code == 201, response.json()
    injection = Injection.objects.get()
    assert (injection.product, injection.lot, str(injection.expiry), injection.performed_by) == (
        product, "P-77", "2027-03-31", doctor)
    assert (injection.drug, float(injection.concentration_percent)) == ("procaine", 1.0)
    shown = api_client.get(reverse("api:read_session", args=[session_id])).json()["injections"][0]
    assert (shown["performed_by"], shown["product"], shown["lot"], shown["expiry"]) == (
        "doctor", product.pk, "P-77", "2027-03-31")


@pytest.mark.parametrize("change,field", [({"performed_by": "outsider"}, "performed_by"),
                                          ({"product": 9999}, "product"),
                                          ({"drug": "lidocaine"}, "drug"),
                                          ({"product": None, "concentration_percent": None}, "concentration_percent")])
def test_an_unknown_injector_or_product_is_refused_naming_the_field(api_client, session_id, clinic, outsider,
                                                                     change, field):
    from segmenta.treatment.models import Product

    product = Product.objects.create(clinic=clinic, name="Procaine 1 %", drug="procaine", concentration_percent=1)
    body = {"target": "wheal", "volume_ml": 0.5, "product": product.pk, **change}
    response = post(api_client, "create_injection", [session_id], {k: v for k, v in body.items()})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == field
    assert not Injection.objects.exists()


def test_an_expired_product_is_blocked_by_the_api_too(api_client, session_id, clinic):
    from segmenta.treatment.models import Product

    product = Product.objects.create(clinic=clinic, name="Procaine 1 %", drug="procaine", concentration_percent=1)
    response = post(api_client, "create_injection", [session_id], {
        "target": "wheal", "volume_ml": 0.5, "product": product.pk, "expiry": "2025-01-31",
        "time": "2026-11-25T10:05:00+01:00"})
    assert response.status_code == 422 and "expired" in response.json()["detail"]


@pytest.mark.parametrize("when", ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "2026-11-23T10:00:00+01:00"])
def test_an_injection_time_far_from_the_session_is_refused_naming_it(api_client, session_id, when):
    response = post(api_client, "create_injection", [session_id], {**wheal(), "time": when})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "time"
