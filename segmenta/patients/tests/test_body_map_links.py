"""The chart's body map: every segment is named, and picking one offers to add a history
item there (?segment=ID preselects it on the form, as ?tooth= does for the dental chart)."""

import json
import re

from django.urls import reverse

from segmenta.patients import models as m
from segmenta.patients.bodymap import segments


def chart(client, patient):
    return client.get(reverse("patients:detail", args=[patient.pk])).content.decode()


def test_every_segment_on_the_chart_links_to_a_new_history_item_there(doctor_client, patient):
    html = chart(doctor_client, patient)
    new_item = reverse("patients:item_new", args=[patient.pk, "history"])
    linked = [int(n) for n in re.findall(rf'<a href="{re.escape(new_item)}\?segment=(\d+)" class="seg-link"', html)]
    assert sorted(linked) == sorted(segments())


def test_each_segment_carries_its_name_for_hover_and_for_screen_readers(doctor_client, patient):
    m.HistoryItem.objects.create(patient=patient, kind="scar", description="Appendectomy",
                                 regions=[{"choir": 116, "side": "right"}])
    html = chart(doctor_client, patient)
    link = re.search(r'<a href="[^"]*\?segment=116"[^>]*aria-label="([^"]+)"><path [^>]*><title>([^<]+)</title>', html)
    assert link.group(1) == "Abdomen, right (116): Appendectomy. Add a history item here"
    assert link.group(2).startswith("Abdomen, right (116)") and "• Appendectomy" in link.group(2)
    # The line that names the segment pointed at or focused, for the page's script to fill.
    assert 'class="bodymap-label" id="chart-map-label"' in html
    assert 'data-label-area="chart-map-label"' in html


def test_a_segment_from_the_chart_is_preselected_on_the_history_form(doctor_client, patient):
    html = doctor_client.get(reverse("patients:item_new", args=[patient.pk, "history"]) + "?segment=107").content.decode()
    value = re.search(r'name="map_regions" value="([^"]*)"', html).group(1).replace("&quot;", '"')
    assert json.loads(value) == [{"choir": 107, "side": "right"}]
    assert 'class="seg selected" data-choir="107"' in html
    assert "Selected: Front of shoulder, right (107)" in html


def test_a_complaint_can_be_placed_from_a_link_too(doctor_client, patient):
    html = doctor_client.get(reverse("patients:item_new", args=[patient.pk, "complaints"]) + "?segment=210").content.decode()
    assert 'class="seg selected" data-choir="210"' in html


def test_segments_that_do_not_exist_are_ignored(doctor_client, patient):
    url = reverse("patients:item_new", args=[patient.pk, "history"])
    html = doctor_client.get(url + "?segment=999&segment=abc&segment=-5").content.decode()
    assert re.search(r'name="map_regions" value="\[\]"', html)
    assert "No segment selected yet." in html
