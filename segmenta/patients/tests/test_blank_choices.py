"""A drop-down's empty choice reads as a word ("Choose…"), never Django's "---------"."""

from django.urls import reverse


def test_new_entry_forms_offer_choose_not_dashes(doctor_client, patient):
    for kind in ("history", "allergies", "medications"):
        html = doctor_client.get(reverse("patients:item_new", args=[patient.pk, kind])).content.decode()
        assert "---------" not in html and '<option value="" selected>Choose…</option>' in html, kind


def test_an_optional_choice_on_a_filled_form_still_offers_a_worded_blank(doctor_client, patient):
    html = doctor_client.get(reverse("patients:edit", args=[patient.pk])).content.decode()
    assert "---------" not in html and '<option value="">Choose…</option>' in html
