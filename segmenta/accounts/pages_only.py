"""The middleware only the pages need, passed by on the two APIs.

The JSON API (/api/) and the FHIR API (/fhir/) authenticate every request by its bearer
token, never by the session cookie, and answer JSON, never a page. So the session and the
user it holds, the second-factor gate, the idle logoff, the user's chosen interface
language, the messages and the pages' Content-Security-Policy have nothing to do on them,
yet together they cost about a seventh of an API read's time in the server
(docs/scaling.md). Each is wrapped here: settings.MIDDLEWARE still lists every layer in its
order (and the admin's checks still find the classes they require, as subclasses; Django's
deploy check looks for the session middleware by name, so its cookie warnings now come
from the sessions app instead), and an API request goes past the wrapped ones to the next.

What an API request still passes: the size limit; HTTPS and the security headers (with a
Content-Security-Policy of its own, accounts/middleware.py); the language of its
Accept-Language (the API speaks it: a new patient's language, error messages); the CSRF
middleware (named in settings as Django's deploy check wants it; the API's views are
exempt); the NUL check; the history's author; the 423 for a restricted chart; the login
lockout.
"""

from django.contrib.auth.middleware import AuthenticationMiddleware as _AuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.middleware import MessageMiddleware as _MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware as _SessionMiddleware
from csp.middleware import CSPMiddleware as _CSPMiddleware

from . import language, middleware
from .backends import OTPMiddleware as _OTPMiddleware
from .middleware import is_api


def pages_only(middleware_class, on_api=None):
    """A subclass of ``middleware_class`` that an API request passes by, after
    ``on_api(request)`` where given. Its process_view and process_exception hooks (which
    Django calls apart from the chain) are passed by too."""

    def __call__(self, request):
        if is_api(request):
            if on_api is not None:
                on_api(request)
            return self.get_response(request)
        return super(cls, self).__call__(request)

    namespace = {"__call__": __call__, "__module__": __name__,
                 "__doc__": f"{middleware_class.__module__}.{middleware_class.__name__}, for pages only."}
    if hasattr(middleware_class, "process_view"):
        def process_view(self, request, *args):
            return None if is_api(request) else super(cls, self).process_view(request, *args)
        namespace["process_view"] = process_view
    if hasattr(middleware_class, "process_exception"):
        def process_exception(self, request, exception):
            return None if is_api(request) else super(cls, self).process_exception(request, exception)
        namespace["process_exception"] = process_exception
    cls = type(middleware_class.__name__, (middleware_class,), namespace)
    return cls


def pages_only_function(factory):
    """``factory`` (a function middleware), passed by on an API request."""

    def wrapped(get_response):
        inner = factory(get_response)

        def middleware(request):
            return get_response(request) if is_api(request) else inner(request)

        return middleware

    wrapped.__doc__ = f"{factory.__module__}.{factory.__name__}, for pages only."
    return wrapped


def _anonymous(request):
    # Anonymous until the API checks its token (api/api.py and interop/fhir/views.py set the
    # token's user), as AuthenticationMiddleware would have left it without a session.
    request.user = AnonymousUser()


CSPMiddleware = pages_only(_CSPMiddleware)
SessionMiddleware = pages_only(_SessionMiddleware)
AuthenticationMiddleware = pages_only(_AuthenticationMiddleware, on_api=_anonymous)
OTPMiddleware = pages_only(_OTPMiddleware)
MessageMiddleware = pages_only(_MessageMiddleware)
user_language = pages_only_function(language.user_language)
idle_logoff = pages_only_function(middleware.idle_logoff)
require_mfa = pages_only_function(middleware.require_mfa)
