"""A chart entry's coded fields show their labels in the page's language, as Django's own
get_FOO_display() would, by looking up only the one label."""

from django.apps import apps
from django.db import models
from django.utils import translation

from segmenta.patients.models import ChartItem, HistoryItem


def _choice_fields():
    for model in apps.get_models():
        if issubclass(model, ChartItem):
            for field in model._meta.concrete_fields:
                if field.choices:
                    yield model, field


def test_every_coded_field_of_every_entry_shows_what_djangos_own_display_shows():
    compared = 0
    for model, field in _choice_fields():
        for code, _label in field.flatchoices + [("no-such-code", "")]:
            entry = model(**{field.attname: code})
            for language in ["en", "de", "es"]:
                with translation.override(language):
                    assert entry._get_FIELD_display(field) == models.Model._get_FIELD_display(entry, field)
                    compared += 1
    assert compared > 100


def test_a_history_items_kind_follows_the_page_language():
    item = HistoryItem(kind="scar")
    with translation.override("en"):
        english = item.get_kind_display()
    with translation.override("de"):
        german = item.get_kind_display()
    assert english == "Scar" and german != english and german
