"""Validators shared by every app."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext as _


def upload_size(upload):
    """Scans and certificates: a few MB at most (the web server may cap it earlier)."""
    limit = settings.SEGMENTA_MAX_UPLOAD_BYTES
    if upload and getattr(upload, "size", 0) > limit:
        raise ValidationError(_("The file is too large (at most %(mb)d MB).") % {"mb": limit // 2**20},
                              code="file_size")


# Where a licence was issued or a clinic practises: ISO 3166-1 alpha-2, optionally with a
# subdivision as in ISO 3166-2 ("DE", "CH", "US-OR"). Scope-of-practice rules are keyed by it.
jurisdiction_code = RegexValidator(
    r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$",
    message="Use a country code such as DE, AT, CH or ES, or a US state as US-OR.",
    code="jurisdiction",
)
