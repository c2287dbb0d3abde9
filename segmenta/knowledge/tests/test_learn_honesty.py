"""The Learn section shows what rests on what: the promotional seed is labelled wherever it
appears, entries and parts of entries without a source say "no source" on the page, and
the stellate ganglion shows its evidence indication by indication."""

from django.urls import reverse


def html(client, *args):
    name = {1: "knowledge:kind", 2: "knowledge:entry"}[len(args)]
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return response.content.decode()


def test_the_seed_is_labelled_promotional_on_its_own_page(doctor_client):
    page = html(doctor_client, "source", "seed")
    assert '<span class="badge promotional">Promotional text</span>' in page
    assert "a course vendor's promotional text, not a clinical source" in page
    assert "states no dose, no scope-of-practice rule and no tracing rule" in page


def test_the_seed_is_labelled_promotional_in_the_list_of_sources(doctor_client):
    page = html(doctor_client, "source")
    row = page[page.index(reverse("knowledge:entry", args=["source", "seed"])):]
    row = row[:row.index("</tr>")]
    assert "Promotional text" in row and "promotional" in row


def test_a_sourced_entry_names_the_type_of_each_source_and_its_caveat(doctor_client):
    page = html(doctor_client, "ganglion", "pterygopalatine")
    assert "Schmittinger" in page and "not a pterygopalatine-ganglion block" in page
    assert "Promotional text" not in page


def test_an_entry_without_sources_says_no_source_on_its_page_and_in_its_list(doctor_client):
    page = html(doctor_client, "ganglion", "otic")
    assert "Evidence: No source found" in page and "No source was found for this entry" in page
    listing = html(doctor_client, "tracing-weight")
    row = listing[listing.index(reverse("knowledge:entry", args=["tracing-weight", "temporal"])):]
    assert "No source found" in row[:row.index("</tr>")]


def test_an_organ_map_without_sources_says_so(doctor_client):
    page = html(doctor_client, "organ", "prostate")
    assert "Segment maps" in page and "no source was found for this map." in page
    sourced = html(doctor_client, "organ", "liver")
    assert "GPnotebook" in sourced and "Osteopathic viscerosomatic reflexes" in sourced and "no source was found for this map." not in sourced


def test_the_stellate_page_shows_the_evidence_of_each_indication(doctor_client):
    page = html(doctor_client, "ganglion", "stellate")
    assert "Evidence per indication" in page
    section = page[page.index('<h2 id="evidence-title">'):page.index('id="complications"')]
    ptsd = section[section.index("Post-traumatic stress disorder (PTSD)"):section.index("Long COVID")]
    assert "Clinical study" in ptsd and "Rae Olmsted" in ptsd and "Hanling" in ptsd
    long_covid = section[section.index("<h3>Long COVID</h3>"):]
    assert "Case reports or series only" in long_covid[:long_covid.index("</li>")]
    vasomotor = section[section.index("<h3>Vasomotor instability</h3>"):]
    vasomotor = vasomotor[:vasomotor.index("</li>")]
    assert "No source found" in vasomotor and "no source was found." in vasomotor
    assert "promotional" in vasomotor


def test_a_disputed_test_method_shows_its_source_and_says_it_is_not_used(doctor_client):
    page = html(doctor_client, "test-method", "applied-kinesiology")
    assert "Evidence: Disputed" in page and "Schwartz SA" in page and "does not use it as evidence" in page
