"""Deployment checks (`segmenta check --deploy`): a production server without the second
factor for everyone, or that answers for any host name, is refused."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def production_security(app_configs, **kwargs):
    if not getattr(settings, "PRODUCTION", False):
        return []
    errors = []
    if not settings.SEGMENTA_REQUIRE_MFA:
        errors.append(Error(
            "SEGMENTA_REQUIRE_MFA is off in production.",
            hint="Every user of patient data needs the second factor: unset SEGMENTA_REQUIRE_MFA or set it to 1.",
            id="segmenta.E001",
        ))
    if "*" in settings.ALLOWED_HOSTS:
        errors.append(Error(
            "ALLOWED_HOSTS contains '*' in production.",
            hint="Name the server's host names in SEGMENTA_ALLOWED_HOSTS.",
            id="segmenta.E002",
        ))
    return errors
