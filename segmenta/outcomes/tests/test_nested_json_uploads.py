"""JSON that a clinic admin gives (a knowledge-base override, an imported questionnaire)
refuses nesting deeper than a clinical value needs with a form error naming the limit,
never a RecursionError."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from segmenta.knowledge.models import ClinicOverride
from segmenta.outcomes.models import ClinicInstrument

DEEP = {"moderately": lambda: {"limits": json.loads("[" * 500 + "]" * 500)},
        "beyond the parser": lambda: '{"limits": ' + "[" * 100_000 + "]" * 100_000 + "}"}


def as_text(value):
    return value if isinstance(value, str) else json.dumps(value)


@pytest.mark.parametrize("make", DEEP.values(), ids=DEEP.keys())
def test_a_deeply_nested_override_is_a_field_error(admin_client, clinic, make):
    response = admin_client.post(reverse("knowledge:overrides"), {
        "clinic": clinic.pk, "kind": "safety-rule", "entry_id": "pregnancy_status",
        "data_text": as_text(make()), "reason": "test"})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == ["data_text"] and "nested deeper than" in errors["data_text"][0]
    assert not ClinicOverride.objects.exists()


@pytest.mark.parametrize("make", DEEP.values(), ids=DEEP.keys())
def test_a_deeply_nested_questionnaire_is_a_field_error(admin_client, clinic, make):
    response = admin_client.post(reverse("outcomes:instrument_import"), {
        "clinic": clinic.pk, "licence_note": "Licensed until 2027",
        "questionnaire": SimpleUploadedFile("q.json", as_text(make()).encode(), content_type="application/json")})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == ["questionnaire"] and "nested deeper than" in errors["questionnaire"][0]
    assert not ClinicInstrument.objects.exists()
