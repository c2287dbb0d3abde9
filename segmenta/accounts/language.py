"""The interface language a user chose in their profile.

Empty means the browser's: Django's LocaleMiddleware then picks it from the language
cookie or the Accept-Language header, as for anyone logged off. The choice is kept in the
session at login, so that applying it costs no query per request."""

from django.conf import settings
from django.utils import translation

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
