"""Mistakes in the chart are marked "entered in error" with a reason, never deleted: the
entry keeps its content and every version, shows struck through, and counts nowhere
(the case, the safety check and the assessment leave it out). Shared by pages and API."""

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

REASON_MAX = 500  # the length of ChartItem.error_reason


class AlreadyInError(Exception):
    """The entry was marked before; it stays as it was marked."""


def check_reason(reason):
    """The reason, stripped; a ValidationError naming ``reason`` where there is none or too much."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the entry was entered in error.")})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": _("Keep the reason to %(n)s characters.") % {"n": REASON_MAX}})
    return reason


def mark_in_error(item, user, reason):
    """Mark ``item`` entered in error by ``user``: a new version of it, with who and when.
    Call inside the transaction that records the change in the audit trail."""
    reason = check_reason(reason)
    if item.in_error:
        raise AlreadyInError()
    item.entered_in_error_at = timezone.now()
    item.entered_in_error_by = user
    item.error_reason = reason
    item._history_user = user  # the version names who marked it, with or without a request
    item.save(update_fields=["entered_in_error_at", "entered_in_error_by", "error_reason"])
    return item
