"""Sessions in the database, as Django's own engine keeps them, read by a prepared query
(segmenta/prepared.py): every page reads its session, and Django built that query's SQL
anew each time, which cost more than running it."""

from datetime import datetime

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.db import router
from django.utils import timezone

from segmenta.prepared import Prepared

_SESSION = Prepared(lambda key, now: Session.objects.filter(session_key=key, expire_date__gt=now), str, datetime)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        found = _SESSION(self.session_key, timezone.now(), using=router.db_for_read(self.model)) \
            if self.session_key else []
        if not found:
            self._session_key = None
            return None
        return found[0]
