"""What people type shows as text on the body map and the dental chart (drawn in Python,
not by templates), never as markup."""

from django.urls import reverse

from segmenta.patients import models as m

TYPED = 'Scar <img src=x onerror="alert(1)"> & "quoted"'
ESCAPED = "Scar &lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &quot;quoted&quot;"


def test_descriptions_are_escaped_in_the_body_map_and_the_dental_chart(doctor_client, patient):
    m.Complaint.objects.create(patient=patient, description=TYPED, regions=[{"choir": 107, "side": "right"}])
    m.HistoryItem.objects.create(patient=patient, kind="tooth", tooth="38", description=TYPED, date="2015",
                                 regions=[{"choir": 107, "side": "right"}])
    page = doctor_client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "<img" not in page and 'onerror="' not in page
    segment = page[page.index('data-choir="107"') - 400:page.index('data-choir="107"') + 600]
    assert f"aria-label=\"Front of shoulder, right (107): {ESCAPED}; {ESCAPED}." in segment
    assert f"&#10;• {ESCAPED}&#10;• {ESCAPED}" in segment
    assert f' · {ESCAPED} · {ESCAPED}"' in segment  # data-info, which the label area shows
    tooth = page[page.index('data-tooth="38"'):]
    assert tooth.split(">", 1)[0].endswith(f'title="{ESCAPED} (2015)"')


def test_the_drawings_escape_writes_what_djangos_writes():
    """The drawings' own escape() (without Django's check for lazy text) writes the same
    text as Django's, for a lazy translation too."""
    from django.utils.html import escape as djangos
    from django.utils.translation import gettext_lazy, override

    from segmenta.patients.templatetags.chart_tags import escape

    for text in [TYPED, "it's <b>", "", "plain", 4.5, 7, gettext_lazy("left")]:
        assert escape(text) == str(djangos(text))
    with override("de"):
        assert escape(gettext_lazy("left")) == "links"
