"""``{% topbar %}``: every page's top bar, drawn once per process for each way it can look.

Why: the bar is two dozen links, translations and conditions, the same on every page a user
opens from the same place, and drawing it cost about a tenth of a kept chart page
(docs/scaling.md). It is drawn from no more than the key below holds: the language and the
address prefix, whether and which user is signed in, what their roles let them open, where
the page is (which link is marked current) and whether it shows a patient. The one value of
the request's own, the logoff form's CSRF token, is written in after the drawing is read.
Settings load this as a template builtin.
"""

import secrets

from django import template
from django.middleware.csrf import get_token
from django.urls import get_script_prefix
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from segmenta.patients.kept import Kept

register = template.Library()

# Stands for the token in a kept drawing; random per process, so no page can contain it.
_CSRF_MARK = f"csrf-{secrets.token_hex(16)}"
# Drawings kept per process, the least recently used dropped first; each is about two
# kilobytes.
_drawn = Kept(2_000)


def _key(context):
    request = context.get("request")
    user = context.get("user")
    signed_in = user is not None and user.is_authenticated
    match = getattr(request, "resolver_match", None)
    return (get_language(), get_script_prefix(),
            user.pk if signed_in else None, user.get_username() if signed_in else None,
            bool(context.get("sees_outcomes")), bool(context.get("is_clinic_admin")),
            getattr(match, "app_name", None), getattr(match, "url_name", None), getattr(match, "view_name", None),
            # What {% url %} reverses namespaced names within.
            getattr(request, "current_app", None), getattr(match, "namespace", None),
            bool(context.get("patient")))


@register.simple_tag(takes_context=True)
def topbar(context):
    if context.get("request") is None:  # (no request, no token: drawn as it is, not kept)
        return context.template.engine.get_template("_topbar.html").render(context)

    def draw():
        with context.push(csrf_token=_CSRF_MARK):
            return context.template.engine.get_template("_topbar.html").render(context)

    drawn = _drawn.get(_key(context), draw)
    token = get_token(context["request"]) if _CSRF_MARK in drawn else ""
    return mark_safe(drawn.replace(_CSRF_MARK, token))
