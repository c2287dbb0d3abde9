"""The interface language a user chose in their profile.

Empty means the browser's: Django's LocaleMiddleware then picks it from the language
cookie or the Accept-Language header, as for anyone logged off. The choice is kept in the
session at login, so that applying it costs no query per request."""

import functools

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware as _LocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers

from .middleware import is_api
from .models import PractitionerProfile

SESSION_KEY = "segmenta_language"


def chosen_language(user):
    """The language code ``user`` chose, or "" for the browser's."""
    found = PractitionerProfile.objects.filter(user=user).values_list("language", flat=True).first()
    return found if found in dict(settings.LANGUAGES) else ""


def remember(request, language):
    """Keep ``language`` ("" for the browser's) in the session for the requests to come."""
    request.session[SESSION_KEY] = language


def set_cookie(response, language):
    """The language cookie follows the choice, so that the login page after logging off
    speaks the user's language too; with the browser's choice it goes."""
    if language:
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE,
                            path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
                            secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                            samesite=settings.LANGUAGE_COOKIE_SAMESITE)
    else:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME, path=settings.LANGUAGE_COOKIE_PATH,
                               domain=settings.LANGUAGE_COOKIE_DOMAIN,
                               samesite=settings.LANGUAGE_COOKIE_SAMESITE)


def user_language(get_response):
    """Speak the language the logged-in user chose (after AuthenticationMiddleware, which
    tells who it is; LocaleMiddleware has already picked the browser's)."""

    def middleware(request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            language = request.session.get(SESSION_KEY)
            if language is None:  # a session begun before the choice existed
                language = chosen_language(user)
                remember(request, language)
            if language:
                translation.activate(language)
                request.LANGUAGE_CODE = translation.get_language()
        return get_response(request)

    return middleware


class LocaleMiddleware(_LocaleMiddleware):
    """Django's LocaleMiddleware, with an API request's language worked out once per process
    for each language cookie and Accept-Language header it comes with.

    Why: an API request's language depends on nothing else (its address has no language
    prefix: Segmenta uses no i18n_patterns, and with them this passes every request to
    Django's), yet working it out, twice reading the address for a prefix, cost about a
    twentieth of an API read. The answer is Django's own for that cookie and header; the
    language is made active as Django does, and the answer says it (Content-Language) and
    that it varies with Accept-Language.
    """

    def process_request(self, request):
        if not _shortcut(request):
            return super().process_request(request)
        language = _language_of(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME),
                                request.META.get("HTTP_ACCEPT_LANGUAGE", ""))
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        if not _shortcut(request):
            return super().process_response(request, response)
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


def _shortcut(request):
    return is_api(request) and not is_language_prefix_patterns_used(getattr(request, "urlconf", settings.ROOT_URLCONF))[0]


@receiver(setting_changed)
def _forget_languages(setting, **kwargs):
    # As Django forgets its own answers when the languages change (tests override them).
    if setting in {"LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS", "LANGUAGE_COOKIE_NAME"}:
        _language_of.cache_clear()


@functools.lru_cache(maxsize=256)
def _language_of(cookie, accept):
    """The language Django's LocaleMiddleware takes for a request with the language cookie
    ``cookie`` (None: none) and the Accept-Language header ``accept``."""
    asked = HttpRequest()
    asked.COOKIES = {} if cookie is None else {settings.LANGUAGE_COOKIE_NAME: cookie}
    asked.META = {"HTTP_ACCEPT_LANGUAGE": accept}
    return translation.get_language_from_request(asked, check_path=False)
