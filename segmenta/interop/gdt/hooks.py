"""When a session's signature is committed, its 6310 result goes to the GDT outbox (if one is
configured). The signature never depends on it: a missing folder, a patient without the
practice system's number or anything else that stops the file is logged and audited, and
the signed session stays signed."""

import logging

from segmenta.audit.trail import record

from . import config, folders

logger = logging.getLogger(__name__)


def session_signed(sender, session, user=None, **kwargs):
    if not config.outbox_configured():
        return
    try:
        settings = config.load()
    except config.ConfigError as error:
        _refused(session, user, str(error))
        return
    try:
        path = folders.write_result(session, settings)
    except Exception as error:  # noqa: BLE001 - whatever stops the file must not reach the signer
        _refused(session, user, str(error))
        return
    try:
        record("export", user=user, patient=session.patient, obj=session,
               detail={"gdt": path.name, "folder": str(path.parent), "record_type": "6310"})
    except Exception:  # noqa: BLE001
        logger.exception("GDT result %s written for session %s, but not audited", path, session.pk)


def _refused(session, user, message):
    logger.error("GDT result of session %s not written: %s", session.pk, message)
    try:
        record("export", user=user, patient=session.patient, obj=session,
               detail={"gdt": "not written", "error": message, "record_type": "6310"})
    except Exception:  # noqa: BLE001
        logger.exception("GDT refusal for session %s not audited", session.pk)
