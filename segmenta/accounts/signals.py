"""Login, logout, failed logins and lockouts go to the audit trail."""

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from segmenta.audit.trail import record

from .language import chosen_language, remember
from .middleware import note_activity


@receiver(user_logged_in)
def audit_login(sender, request, user, **kwargs):
    record("login", request=request, user=user)


@receiver(user_logged_in)
def remember_language(sender, request, user, **kwargs):
    """The interface language the user chose applies from the first page on."""
    if request is not None and hasattr(request, "session"):
        remember(request, chosen_language(user))


@receiver(user_logged_in)
def login_is_activity(sender, request, user, **kwargs):
    """Logging in is activity: the idle logoff counts from here, and the first page after it
    does not write the session again to say so."""
    if request is not None and hasattr(request, "session"):
        note_activity(request)


@receiver(user_logged_out)
def audit_logout(sender, request, user, **kwargs):
    if user is None or getattr(request, "_segmenta_logout_recorded", False):
        return
    record("logout", request=request, user=user)


@receiver(user_login_failed)
def audit_login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    action = "reauth_failed" if getattr(request, "_segmenta_reauth", False) else "login_failed"
    # Linked to the account when the name is one, so its clinic admins see it; the
    # typed name is kept either way, so that guessing shows up.
    user = get_user_model().objects.filter(username=username).first() if username else None
    record(action, request=request, user=user, username=username)


@receiver(user_locked_out)
def audit_locked_out(sender, request, username=None, ip_address=None, **kwargs):
    name = str(username or "")[:150]
    user = get_user_model().objects.filter(username=name).first() if name else None
    record("locked_out", request=request, user=user, username=name)
