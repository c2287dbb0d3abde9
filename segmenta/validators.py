"""Validators shared by every app."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def upload_size(upload):
    """Scans and certificates: a few MB at most (the web server may cap it earlier)."""
    limit = settings.SEGMENTA_MAX_UPLOAD_BYTES
    if upload and getattr(upload, "size", 0) > limit:
        raise ValidationError(_("The file is too large (at most %(mb)d MB).") % {"mb": limit // 2**20},
                              code="file_size")
