"""Every chart form draws every one of its fields, and errors of fields drawn outside the
main card still show. (A substring test in the template once hid the medication form's
Name field, because "name" is part of "named_regions".)"""

import re

import pytest
from django.urls import reverse

from segmenta.patients import models as m
from segmenta.patients.chart_views import KINDS


def rendered_names(html):
    return set(re.findall(r'<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"', html))


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_field_of_a_new_item_form_is_on_the_page(doctor_client, patient, kind):
    response = doctor_client.get(reverse("patients:item_new", args=[patient.pk, kind]))
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.fields) <= rendered_names(response.content.decode())


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_visible_field_has_a_label_on_the_page(doctor_client, patient, kind):
    response = doctor_client.get(reverse("patients:item_new", args=[patient.pk, kind]))
    html = response.content.decode()
    for field in response.context["form"]:
        if field.is_hidden:
            continue
        if field.widget_type == "checkboxselectmultiple":
            assert f"<legend>{field.label}</legend>" in html, field.name
        elif field.widget_type == "checkbox":  # the label wraps its box
            assert re.search(rf'<label class="check"><input[^>]*name="{field.name}"', html), field.name
        else:
            assert f'for="{field.id_for_label}"' in html, field.name


def test_the_medication_form_has_its_name_field(doctor_client, patient):
    html = doctor_client.get(reverse("patients:item_new", args=[patient.pk, "medications"])).content.decode()
    assert 'name="name"' in html and '<label for="id_name">' in html


def test_a_medication_posted_through_the_form_is_saved(doctor_client, patient):
    response = doctor_client.post(reverse("patients:item_new", args=[patient.pk, "medications"]), {
        "name": "Apixaban", "medication_class": "anticoagulant", "dose": "", "last_dose": "2026-11-24T20:00",
        "active": "on"})
    assert response.status_code == 302
    assert m.Medication.objects.get(patient=patient).name == "Apixaban"


def test_errors_of_fields_drawn_elsewhere_are_summed_up_at_the_top(doctor_client, patient):
    response = doctor_client.post(reverse("patients:item_new", args=[patient.pk, "consents"]), {
        "date": "2026-11-01", "decision": "given", "scopes": ["injection_therapy"], "scope": "x",
        "method": "signature", "signature_svg": ""})
    assert response.status_code == 400
    html = response.content.decode()
    summary = html[html.index('class="error-summary"'):html.index('<div class="form-grid">')]
    assert "Signature: The patient has not signed yet." in summary


def test_a_bad_body_map_value_is_named_in_the_summary(doctor_client, patient):
    response = doctor_client.post(reverse("patients:item_new", args=[patient.pk, "complaints"]), {
        "description": "x", "status": "active", "map_regions": "{not json"})
    html = response.content.decode()
    summary = html[html.index('class="error-summary"'):html.index('<div class="form-grid">')]
    assert "Body map: The body-map selection could not be read." in summary


def test_a_form_without_errors_has_no_summary(doctor_client, patient):
    html = doctor_client.get(reverse("patients:item_new", args=[patient.pk, "weights"])).content.decode()
    assert "error-summary" not in html
