"""Deployment checks (`segmenta check --deploy`): a production server without the second
factor for everyone, that answers for any host name, or whose PostgreSQL role could rewrite
the audit trail, is refused."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.checks import Warning as CheckWarning
from django.db import DatabaseError, connection

from segmenta.audit.roles import connected_role_problem


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
    return errors + _audit_role()


def _audit_role():
    """On PostgreSQL the app must not run as the audit table's owner: an owner may drop the
    triggers that keep the trail append-only."""
    try:
        problem = connected_role_problem(connection)
    except DatabaseError as error:
        return [CheckWarning(
            f"Could not check the database role against the audit trail: {error}".strip(),
            hint="Run the deploy check where the database is reachable, with the DATABASE_URL the app serves with.",
            id="segmenta.W003",
        )]
    if problem is None:
        return []
    return [Error(
        f"In production {problem}, so it could drop the triggers that keep the audit trail append-only.",
        hint="Serve as a role that owns nothing: create one, run `segmenta audit grant-app-role ROLE` as the owner, "
             "and put that role in DATABASE_URL (README, Audit trail).",
        id="segmenta.E003",
    )]
