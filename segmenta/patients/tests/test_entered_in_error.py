"""A mistaken chart entry is marked "entered in error" with a reason, never deleted: it
stays in the chart struck through (shown on request), counts nowhere, and cannot be edited."""

import html as markup
import re

import pytest
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from segmenta.audit.models import AuditEvent
from segmenta.conftest import complete_chart
from segmenta.patients import models as m
from segmenta.patients.chart_views import KINDS

from .test_chart_versions import ENTRIES


def mark_url(patient, kind, item):
    return reverse("patients:item_in_error", args=[patient.pk, kind, item.pk])


def chart_text(client, patient, query=""):
    response = client.get(reverse("patients:detail", args=[patient.pk]) + query)
    assert response.status_code == 200
    page = re.sub(r'<span class="sr-only">.*?</span>', " ", response.content.decode(), flags=re.DOTALL)
    return re.sub(r"\s+", " ", markup.unescape(re.sub(r"<[^>]+>", " ", page)))


@pytest.fixture
def allergy(patient, doctor):
    return m.Allergy.objects.create(patient=patient, substance="Novocain", allergy_class="ester_local_anaesthetic",
                                    recorded_by=doctor)


def test_marking_an_entry_in_error_asks_why_and_keeps_it_without_a_reason(doctor_client, patient, allergy):
    page = doctor_client.get(mark_url(patient, "allergies", allergy))
    assert page.status_code == 200 and "Why was it entered in error?" in page.content.decode()

    for reason in ("", "   "):
        refused = doctor_client.post(mark_url(patient, "allergies", allergy), {"reason": reason})
        assert refused.status_code == 400
        assert "Why was it entered in error?" in refused.content.decode()
    allergy.refresh_from_db()
    assert not allergy.in_error


def test_an_entry_marked_in_error_keeps_its_content_and_says_who_when_and_why(doctor_client, doctor, patient, allergy):
    response = doctor_client.post(mark_url(patient, "allergies", allergy), {"reason": "  recorded in the wrong chart "})

    assert response.status_code == 302
    allergy.refresh_from_db()
    assert allergy.in_error and allergy.substance == "Novocain"
    assert (allergy.entered_in_error_by, allergy.error_reason) == (doctor, "recorded in the wrong chart")
    newest = allergy.versions.order_by("-history_id").first()
    assert (newest.history_user, newest.error_reason) == (doctor, "recorded in the wrong chart")
    event = AuditEvent.objects.filter(action="update").get()
    assert (event.object_type, event.object_id, event.detail["entered_in_error"]) == ("allergy", str(allergy.pk), True)


def test_an_entry_in_error_is_hidden_until_asked_for_then_struck_through_with_the_reason(doctor_client, patient,
                                                                                         allergy):
    doctor_client.post(mark_url(patient, "allergies", allergy), {"reason": "wrong patient"})

    hidden = chart_text(doctor_client, patient)
    assert "1 entry marked \"entered in error\" is hidden." in hidden
    assert "wrong patient" not in hidden
    assert "Novocain" not in hidden  # neither in the list nor in the safety strip

    response = doctor_client.get(reverse("patients:detail", args=[patient.pk]) + "?in_error=shown")
    struck = re.search(r'<li class="in-error">.*?</li>', response.content.decode(), re.DOTALL).group(0)
    assert "<s>Novocain (Ester local anaesthetic)</s>" in struck
    shown = chart_text(doctor_client, patient, "?in_error=shown")
    assert "entered in error" in shown and "by doctor: wrong patient" in shown
    # No longer a known allergy: the list reads as never reviewed, not as "no known drug allergies".
    assert "allergies are unknown, not none" in shown


def test_an_entry_in_error_cannot_be_edited_but_a_corrected_one_can_be_added(doctor_client, patient, allergy):
    doctor_client.post(mark_url(patient, "allergies", allergy), {"reason": "typing error"})
    edit = reverse("patients:item_edit", args=[patient.pk, "allergies", allergy.pk])

    page = doctor_client.get(edit)
    assert page.status_code == 200 and "cannot be changed" in page.content.decode()
    assert 'name="substance"' not in page.content.decode()
    refused = doctor_client.post(edit, {"substance": "Lidocaine", "allergy_class": "amide_local_anaesthetic"})
    assert refused.status_code == 409
    again = doctor_client.post(mark_url(patient, "allergies", allergy), {"reason": "twice"})
    assert again.status_code == 302
    allergy.refresh_from_db()
    assert (allergy.substance, allergy.error_reason) == ("Novocain", "typing error")

    added = doctor_client.post(reverse("patients:item_new", args=[patient.pk, "allergies"]),
                               {"substance": "Lidocaine", "allergy_class": "amide_local_anaesthetic", "active": "on"})
    assert added.status_code == 302
    assert m.Allergy.objects.filter(patient=patient, entered_in_error_at=None).get().substance == "Lidocaine"


def test_an_allergy_in_error_leaves_the_safety_strip(doctor_client, doctor, patient, allergy):
    complete_chart(patient, doctor)
    assert "Novocain" in chart_text(doctor_client, patient)
    doctor_client.post(mark_url(patient, "allergies", allergy), {"reason": "other patient's"})
    strip = chart_text(doctor_client, patient)
    assert "Novocain" not in strip and "none known" in strip


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_of_entry_can_be_marked_in_error_from_its_page(doctor_client, patient, kind):
    item = ENTRIES[kind][0](patient)
    page = doctor_client.get(reverse("patients:item_edit", args=[patient.pk, kind, item.pk])).content.decode()
    assert mark_url(patient, kind, item) in page
    assert doctor_client.post(mark_url(patient, kind, item), {"reason": "typing error"}).status_code == 302
    item.refresh_from_db()
    assert item.in_error and item.error_reason == "typing error"


def test_a_review_in_error_does_not_count_as_todays_review(doctor_client, patient):
    doctor_client.post(reverse("patients:review_today", args=[patient.pk]), {"kind": "allergies"})
    review = m.ChartReview.objects.get()
    doctor_client.post(mark_url(patient, "reviews", review), {"reason": "not asked yet"})
    doctor_client.post(reverse("patients:review_today", args=[patient.pk]), {"kind": "allergies"})
    assert m.ChartReview.objects.filter(entered_in_error_at=None).count() == 1


def test_another_clinics_entry_cannot_be_marked(doctor_client, foreign_patient):
    foreign = m.Allergy.objects.create(patient=foreign_patient, substance="Latex", allergy_class="other")
    assert doctor_client.post(mark_url(foreign_patient, "allergies", foreign), {"reason": "x"}).status_code == 404
    foreign.refresh_from_db()
    assert not foreign.in_error


def _patterns(resolver, prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.name or ""


def test_no_page_deletes_a_chart_entry_and_the_admin_lists_no_patient_data(db):
    chart_routes = [(route, name) for route, name in _patterns(get_resolver()) if route.startswith("patients/")]
    assert ("patients/<int:pk>/<slug:kind>/<int:item_id>/entered-in-error/", "item_in_error") in chart_routes
    deleting = [(route, name) for route, name in chart_routes
                if any(word in (route + name).lower() for word in ("delete", "remove", "discard", "purge"))]
    assert deleting == []
    patient_data = [model for model in admin.site._registry if model._meta.app_label in ("patients", "treatment",
                                                                                         "outcomes")]
    assert patient_data == []
