"""Signing in with a user name and password, as Django's ModelBackend does it, with the
user of every request read by a prepared query (segmenta/prepared.py); and django_otp's
middleware, with the session's authenticator read by one too.

Why: every page reads its user and the user's second factor from the session; Django builds
each query's SQL anew each time, which cost more than running it (the user about a tenth of
a kept chart page, the authenticator as much again)."""

from django.contrib.auth import backends, get_user_model
from django.db import router
from django_otp.middleware import OTPMiddleware as _OTPMiddleware
from django_otp.plugins.otp_totp.models import TOTPDevice

from segmenta.prepared import Prepared

_USER = Prepared(lambda pk: get_user_model()._default_manager.filter(pk=pk), int)
_TOTP_DEVICE = Prepared(lambda pk: TOTPDevice.objects.filter(id=pk), int)


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id):
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        found = _USER(pk, using=router.db_for_read(get_user_model()))
        user = found[0] if found else None
        return user if user is not None and self.user_can_authenticate(user) else None


class OTPMiddleware(_OTPMiddleware):
    def _device_from_persistent_id(self, persistent_id):
        """The device ``persistent_id`` names, as django_otp finds it (None for a malformed
        id); a TOTP device, the only kind Segmenta enrols, by the prepared query."""
        label, _slash, device_id = self._normalize_persistent_id(persistent_id).rpartition("/")
        if label != TOTPDevice.model_label():
            return super()._device_from_persistent_id(persistent_id)
        try:
            pk = int(device_id)
        except ValueError:
            return None
        if not -2**63 <= pk < 2**63:  # no id, and more than the query's parameter can hold
            return None
        found = _TOTP_DEVICE(pk, using=router.db_for_read(TOTPDevice))
        return found[0] if found else None
