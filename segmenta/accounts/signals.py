"""Login, logout, failed logins and lockouts go to the audit trail."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from segmenta.audit.trail import record


@receiver(user_logged_in)
def audit_login(sender, request, user, **kwargs):
    record("login", request=request, user=user)


@receiver(user_logged_out)
def audit_logout(sender, request, user, **kwargs):
    if user is None or getattr(request, "_segmenta_logout_recorded", False):
        return
    record("logout", request=request, user=user)


@receiver(user_login_failed)
def audit_login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    action = "reauth_failed" if getattr(request, "_segmenta_reauth", False) else "login_failed"
    # The user may not exist; the typed name is kept so that guessing shows up.
    record(action, request=request, user=None, username=username)


@receiver(user_locked_out)
def audit_locked_out(sender, request, username=None, ip_address=None, **kwargs):
    record("locked_out", request=request, user=None, username=str(username or "")[:150])
