"""Request-level security: headers, automatic logoff when idle, and the MFA gate."""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from segmenta.audit.trail import record

# Session flag set at login for users who must still enter a TOTP code.
SECOND_FACTOR_PENDING = "segmenta_second_factor_pending"

# Paths that stay reachable for a user who has entered a password but no TOTP code yet.
_MFA_EXEMPT = ("/accounts/mfa/", "/accounts/logout/", "/static/", "/i18n/")


def is_api(request):
    """Whether ``request`` is for the API or the FHIR API: both authenticate every request by
    bearer token, never by session cookie, and answer JSON (accounts/pages_only.py)."""
    return request.path.startswith(("/api/", "/fhir/"))


# JSON is no page: nothing in it may load, run or be framed. The pages' own policy (django-csp,
# settings.py) is built anew for every request, which no API answer needs.
API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'"


def reject_nul(get_response):
    """NUL characters have no place in clinical text, and PostgreSQL cannot store them:
    refuse them at the door instead of failing deep inside a write."""

    def middleware(request):
        sources = [request.GET] + ([request.POST] if request.method == "POST" else [])
        for values in sources:
            for name, value in values.lists():
                if "\x00" in name or any("\x00" in v for v in value):
                    field = name.replace(chr(0), "")
                    if is_api(request):  # the API's own error body, as for a NUL in a JSON body
                        return JsonResponse({"detail": f"{field}: contains a NUL character", "errors": [
                            {"field": field, "message": "contains a NUL character"}]}, status=422)
                    return HttpResponseBadRequest(f"{field}: contains a NUL character", content_type="text/plain")
        return get_response(request)

    return middleware


def security_headers(get_response):
    def middleware(request):
        response = get_response(request)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
        response.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        user = getattr(request, "user", None)
        api = is_api(request)
        if api:
            response.setdefault("Content-Security-Policy", API_CONTENT_SECURITY_POLICY)
        if api or (user is not None and user.is_authenticated):
            # Patient data must not linger in a shared browser's cache.
            response["Cache-Control"] = "no-store"
        return response

    return middleware


ACTIVITY_NOTED_PER_TIMEOUT = 30


def note_activity(request, now=None):
    """Note that the user of ``request`` is active now: the idle logoff counts from here."""
    request.session["last_activity"] = time.time() if now is None else now


def idle_logoff(get_response):
    """Log the user off after SEGMENTA_IDLE_TIMEOUT without a request."""

    def middleware(request):
        if request.user.is_authenticated and not is_api(request):
            now = time.time()
            last = request.session.get("last_activity")
            timeout = settings.SEGMENTA_IDLE_TIMEOUT.total_seconds()
            if last is not None and now - last > timeout:
                record("logout", request=request, detail={"reason": "idle"})
                request._segmenta_logout_recorded = True
                logout(request)
                params = {"reason": "idle"}
                if request.method == "GET":
                    params["next"] = request.get_full_path()
                return redirect(reverse("accounts:login") + "?" + urlencode(params))
            # Noted at most every thirtieth of the timeout (30 s of 15 minutes), not on every
            # request: each note is a write of the session, which took SQLite's write lock on
            # every page view. A note skipped can only bring the logoff earlier, by at most
            # that much, never later.
            if last is None or now - last >= timeout / ACTIVITY_NOTED_PER_TIMEOUT:
                note_activity(request, now)
        return get_response(request)

    return middleware


def require_mfa(get_response):
    """A password alone opens nothing but the TOTP step: for everyone when
    SEGMENTA_REQUIRE_MFA is on, and always for users who have an authenticator."""

    def middleware(request):
        user = request.user
        if (
            (settings.SEGMENTA_REQUIRE_MFA or request.session.get(SECOND_FACTOR_PENDING))
            and user.is_authenticated
            and not user.is_verified()
            and not is_api(request)
            and not request.path.startswith(_MFA_EXEMPT)
        ):
            return redirect(reverse("accounts:mfa") + "?" + urlencode({"next": request.get_full_path()}))
        return get_response(request)

    return middleware
