"""Django's ``{% url %}`` tag, remembering each address it has reversed.

Why: ``reverse()`` costs about 30 µs a call, and a chart page calls it 55 times (1.6 ms of its
20, benchmarks/http.py). An address depends only on the URL patterns, fixed while the process
runs, and on what the key below holds, so an address once reversed is read from memory after.
Settings load this as a template builtin, so every template's ``{% url %}`` is this one.
"""

from functools import lru_cache

from django import template
from django.template.defaulttags import URLNode, url as django_url
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.translation import get_language

register = template.Library()

# Addresses kept per process: every view of every entry of a few hundred charts.
KEPT = 20_000
# Values written into an address as they are (a template's quoted text is a SafeString).
_PLAIN = frozenset({int, str, SafeString})


@lru_cache(maxsize=KEPT)
def _reversed(urlconf, prefix, language, view_name, args, kwargs, current_app):
    """(The prefix and the language are in the key only to tell apart what reverse() reads of
    them itself: the prefix always, the language once a route is translated.)"""
    return reverse(view_name, urlconf=urlconf, args=args, kwargs=dict(kwargs), current_app=current_app)


class RememberingURLNode(URLNode):
    def render(self, context):
        args = tuple(arg.resolve(context) for arg in self.args)
        kwargs = tuple(sorted((k, v.resolve(context)) for k, v in self.kwargs.items()))
        key = (*args, *(v for _k, v in kwargs))
        # Only plain values can be a key: a model instance's address could change with it, and
        # an enumeration's member is written unlike its value.
        if not all(type(value) in _PLAIN for value in key):
            return super().render(context)
        view_name = self.view_name.resolve(context)
        try:  # as Django's tag finds it
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        try:
            url = _reversed(get_urlconf(), get_script_prefix(), get_language(), view_name, args, kwargs, current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
            url = ""
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    node = django_url(parser, token)
    return RememberingURLNode(node.view_name, node.args, node.kwargs, node.asvar)
