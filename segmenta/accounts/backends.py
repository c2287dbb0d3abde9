"""Signing in with a user name and password, as Django's ModelBackend does it, with the
user of every request read by a prepared query (segmenta/prepared.py).

Why: every page reads its user from the session; Django builds that query's SQL anew each
time, which cost more than running it (about a tenth of a kept chart page)."""

from django.contrib.auth import backends, get_user_model
from django.db import router

from segmenta.prepared import Prepared

_USER = Prepared(lambda pk: get_user_model()._default_manager.filter(pk=pk), int)


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id):
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        found = _USER(pk, using=router.db_for_read(get_user_model()))
        user = found[0] if found else None
        return user if user is not None and self.user_can_authenticate(user) else None
