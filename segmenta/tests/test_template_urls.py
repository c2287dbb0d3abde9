"""Every template's {% url %} remembers the addresses it reversed (segmenta/template_urls.py),
and writes the same addresses as Django's own tag in every case that tag handles."""

import pytest
from django.template import Context, Template
from django.template.exceptions import TemplateSyntaxError
from django.urls import NoReverseMatch, reverse, set_script_prefix

from segmenta.template_urls import _reversed


def render(text, **context):
    return Template(text).render(Context(context))


@pytest.fixture(autouse=True)
def root_prefix():
    set_script_prefix("/")
    yield
    set_script_prefix("/")


def test_addresses_are_django_s_and_the_second_is_read_from_memory():
    _reversed.cache_clear()
    text = "{% url 'patients:item_edit' pk 'weights' item %}|{% url 'patients:detail' pk=pk %}"
    first = render(text, pk=41, item=7)
    assert first == "|".join([reverse("patients:item_edit", args=[41, "weights", 7]),
                              reverse("patients:detail", kwargs={"pk": 41})])
    assert _reversed.cache_info().misses == 2 and _reversed.cache_info().hits == 0
    assert render(text, pk=41, item=7) == first
    assert _reversed.cache_info().hits == 2
    # Another patient is another address, not the remembered one.
    assert render(text, pk=42, item=7) != first


def test_the_script_prefix_of_the_request_is_part_of_every_address():
    """A Segmenta served under a path (SCRIPT_NAME) writes its addresses under it, even where
    the same address was reversed before without it."""
    assert render("{% url 'patients:detail' 5 %}") == "/patients/5/"
    set_script_prefix("/praxis/")
    assert render("{% url 'patients:detail' 5 %}") == "/praxis/patients/5/"


def test_as_variable_and_missing_addresses_behave_as_in_django():
    assert render("{% url 'patients:detail' 5 as there %}<{{ there }}>") == "</patients/5/>"
    assert render("{% url 'patients:nothing' 5 as there %}<{{ there }}>") == "<>"
    with pytest.raises(NoReverseMatch):
        render("{% url 'patients:nothing' 5 %}")
    with pytest.raises(TemplateSyntaxError):
        Template("{% url %}")


def test_values_that_are_not_plain_text_or_numbers_are_reversed_each_time():
    """An object's address may change with the object: it is never remembered."""
    class Id:
        def __init__(self, value):
            self.value = value

        def __str__(self):
            return str(self.value)

    _reversed.cache_clear()
    thing = Id(8)
    assert render("{% url 'patients:detail' thing %}", thing=thing) == "/patients/8/"
    thing.value = 9
    assert render("{% url 'patients:detail' thing %}", thing=thing) == "/patients/9/"
    assert _reversed.cache_info().currsize == 0


def test_an_enumerations_member_is_written_as_django_writes_it_not_as_its_value():
    """A text choice's member reads like its value, but an enumeration mixed with str alone
    does not: neither may share the remembered address of its value."""
    import enum

    class Kind(str, enum.Enum):
        WEIGHTS = "weights"

    text = "{% url 'knowledge:entry' 'drug' entry %}"
    assert render(text, entry="weights") == "/learn/drug/weights/"
    assert render(text, entry=Kind.WEIGHTS) == reverse("knowledge:entry", args=["drug", Kind.WEIGHTS]) != \
        "/learn/drug/weights/"


def test_addresses_are_escaped_unless_autoescape_is_off():
    text = "{% url 'knowledge:entry' 'drug' entry %}"
    assert render(text, entry="a&b") == "/learn/drug/a&amp;b/"
    assert render("{% autoescape off %}" + text + "{% endautoescape %}", entry="a&b") == "/learn/drug/a&b/"
