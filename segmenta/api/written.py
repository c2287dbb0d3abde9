"""Answers the API writes itself, as django-ninja would, so that they can be kept.

Why: the most asked-for reads (the patient list, a patient, the case export) answer the
same JSON again and again; writing it once and keeping it under everything it is written
from saves validating and encoding it on every request (docs/scaling.md). Each such view
declares its response schema as before, so the OpenAPI document does not change.
"""

from django.http import HttpResponse


def render(request, data):
    """``data`` in JSON, as django-ninja's renderer writes a 200 answer."""
    from .api import api  # (which imports the routers, which import this module)

    return api.renderer.render(request, data, response_status=200)


def answer(content):
    """A 200 answer of JSON ``content``, with the content type django-ninja gives one."""
    from .api import api

    return HttpResponse(content, content_type=api.get_content_type())
