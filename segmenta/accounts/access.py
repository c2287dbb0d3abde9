"""Who may do what: clinic roles and the re-authentication gate for sensitive actions."""

import time
from urllib.parse import urlsplit
from functools import wraps

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from .models import Clinic, Role


def clinics_of(user):
    return Clinic.objects.filter(memberships__user=user)


def chosen_clinic(request):
    """(clinic, clinics): the clinic a page is about — ``?clinic=ID`` among the user's
    clinics, else their first — and all of them. The clinic is None when the user has
    none, or when ``?clinic`` names one that is not theirs."""
    clinics = list(clinics_of(request.user).order_by("name"))
    chosen = request.GET.get("clinic")
    if chosen:
        return next((c for c in clinics if str(c.pk) == chosen), None), clinics
    return (clinics[0] if clinics else None), clinics


def admin_clinics(user):
    return Clinic.objects.filter(memberships__user=user, memberships__role=Role.ADMIN)


# The practice's outcomes (statistics and the research export) are for the clinicians and
# admins of a clinic, not for its assistants.
OUTCOME_ROLES = (Role.ADMIN, Role.PRACTITIONER)


def outcome_clinics(user):
    """The clinics whose outcomes ``user`` may see."""
    return Clinic.objects.filter(memberships__user=user, memberships__role__in=OUTCOME_ROLES)


def clinic_admin_required(view):
    """Only clinic admins; everyone else gets a 404, as if the page did not exist."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated or not admin_clinics(request.user).exists():
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def mark_reauthenticated(request):
    request.session["reauth_at"] = time.time()


def recently_reauthenticated(request):
    at = request.session.get("reauth_at")
    return at is not None and time.time() - at <= settings.SEGMENTA_REAUTH_WINDOW.total_seconds()


def _back(request):
    """Where to return after re-authenticating for a POST: the page the form was on."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(referer, {request.get_host()}, require_https=request.is_secure()):
        return urlsplit(referer).path
    return reverse("patients:list")


def reauth_required(view):
    """Sensitive actions (exports, user management, tokens) ask for the password again."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not recently_reauthenticated(request):
            target = request.get_full_path() if request.method == "GET" else _back(request)
            return redirect(reverse("accounts:reauth") + "?" + urlencode({"next": target}))
        return view(request, *args, **kwargs)

    return wrapper
