import json

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from segmenta.audit.models import AuditEvent
from segmenta.outcomes.models import AnswerLink, ClinicInstrument, Response
from segmenta.outcomes.scoring import INSTRUMENT_DIR, SCORING_URL, check_instrument, score

ORD = "http://hl7.org/fhir/StructureDefinition/ordinalValue"


def licensed():
    """A stand-in for a clinic's licensed instrument: three items, 0–4 each, summed."""
    options = [{"valueCoding": {"system": "urn:x", "code": f"c{v}", "display": f"level {v}",
                                "extension": [{"url": ORD, "valueDecimal": v}]}} for v in range(5)]
    return {"resourceType": "Questionnaire", "id": "local-disability", "status": "active", "title": "Local scale",
            "extension": [{"url": SCORING_URL, "valueString": json.dumps({
                "total": "sum", "bands": [{"min": 0, "band": "low"}, {"min": 7, "band": "high"}],
                "reliability": {"sd": 2.5, "r": 0.9}})}],
            "item": [{"linkId": f"q{i}", "text": f"Question {i}", "type": "choice", "required": True,
                      "answerOption": options} for i in range(1, 4)]}


def upload(client, clinic, resource, licence="Licensed by the publisher until 2027-12"):
    return client.post(reverse("outcomes:instrument_import"), {
        "clinic": clinic.pk, "licence_note": licence,
        "questionnaire": SimpleUploadedFile("q.json", json.dumps(resource).encode(), content_type="application/json")})


def test_no_licensed_instrument_text_is_shipped():
    shipped = " ".join(p.read_text().lower() for p in INSTRUMENT_DIR.glob("*.json"))
    for name in ("mymop", "brief pain inventory", "oswestry", "hit-6", "promis", "fiqr"):
        assert name not in shipped


def test_a_clinic_imports_a_licensed_instrument_and_uses_it(admin_client, clinic, patient, doctor):
    assert upload(admin_client, clinic, licensed()).status_code == 302
    item = ClinicInstrument.objects.get()
    assert item.licence_note.startswith("Licensed") and AuditEvent.objects.filter(object_type="clinicinstrument")
    _link, raw = AnswerLink.issue(patient, "local-disability", doctor)
    Client().post(f"/q/{raw}/", {"q1": "c3", "q2": "c2", "q3": "c4"})
    response = Response.objects.get()
    assert (response.total, response.band) == (9, "high")


def test_an_instrument_without_a_scoring_rule_is_refused(admin_client, clinic):
    resource = licensed()
    del resource["extension"]
    response = upload(admin_client, clinic, resource)
    assert response.status_code == 400 and "scoring rule" in str(response.context["form"].errors)
    assert not ClinicInstrument.objects.exists()


def test_not_a_questionnaire_is_refused():
    assert check_instrument({"resourceType": "Patient"})[0].startswith("not a FHIR R4 Questionnaire")


def test_imported_reliability_gives_a_reliable_change_index():
    from segmenta.outcomes.scoring import series

    extra = {"local-disability": licensed()}
    assert score("local-disability", {"answers": ["c1", "c1", "c1"]}, extra)["band"] == "low"
    result = series("local-disability", {"values": [10, 4]}, extra)
    assert result["reliable_change_index"] == round((4 - 10) / (2 ** 0.5 * 2.5 * 0.1 ** 0.5), 2)


def test_practitioners_cannot_import(doctor_client):
    assert doctor_client.get(reverse("outcomes:instrument_import")).status_code == 404
