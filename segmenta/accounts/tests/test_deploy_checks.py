"""`check --deploy` refuses a production configuration without the second factor for
everyone, with ALLOWED_HOSTS open to any host name, or (PostgreSQL) with a database role
that owns the audit table and so could drop its triggers."""

import uuid
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection
from django.test import override_settings

# The role check reads the database (on PostgreSQL).
pytestmark = pytest.mark.django_db
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="roles are PostgreSQL's")


def deploy_check():
    # The test run itself sets DJANGO_ALLOW_ASYNC_UNSAFE (for Playwright), which the
    # deploy check rightly refuses; only this project's own checks are tested here.
    with override_settings(SILENCED_SYSTEM_CHECKS=["async.E001"]):
        call_command("check", "--deploy", verbosity=0)


@override_settings(PRODUCTION=True, SEGMENTA_REQUIRE_MFA=False)
def test_mfa_off_in_production_fails_the_deploy_check():
    with pytest.raises(SystemCheckError, match="segmenta.E001"):
        deploy_check()


@override_settings(PRODUCTION=True, SEGMENTA_REQUIRE_MFA=True, ALLOWED_HOSTS=["segmenta.example.org", "*"])
def test_a_wildcard_host_in_production_fails_the_deploy_check():
    with pytest.raises(SystemCheckError, match="segmenta.E002"):
        deploy_check()


@contextmanager
def new_role(role):
    """A new role, for the test to act as (its rollback drops it); the connection acts as
    itself again afterwards."""
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{role}"')
    yield
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")


def set_role(role):
    with connection.cursor() as cursor:
        cursor.execute(f'SET ROLE "{role}"')


def app_role():
    """A role set up as README says (owning nothing, granted by `audit grant-app-role`), acting now."""
    role = f"segmenta_app_{uuid.uuid4().hex[:8]}"
    with new_role(role):
        call_command("audit", "grant-app-role", role, verbosity=0)
        set_role(role)
        yield


@pytest.fixture
def as_app_role():
    if connection.vendor != "postgresql":
        yield
    else:
        yield from app_role()


@override_settings(PRODUCTION=True, SEGMENTA_REQUIRE_MFA=True, ALLOWED_HOSTS=["segmenta.example.org"])
def test_a_sound_production_configuration_passes(as_app_role):
    deploy_check()


@on_postgresql
@override_settings(PRODUCTION=True, SEGMENTA_REQUIRE_MFA=True, ALLOWED_HOSTS=["segmenta.example.org"])
def test_a_superuser_as_the_apps_database_role_fails_the_deploy_check():
    # The test database's own role is the superuser that created it.
    with pytest.raises(SystemCheckError, match=r"segmenta.E003.*is a superuser"):
        deploy_check()


@on_postgresql
@override_settings(PRODUCTION=True, SEGMENTA_REQUIRE_MFA=True, ALLOWED_HOSTS=["segmenta.example.org"])
def test_the_audit_tables_owner_as_the_apps_database_role_fails_the_deploy_check():
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'audit_auditevent'")
        (owner,) = cursor.fetchone()
    role = f"segmenta_owner_{uuid.uuid4().hex[:8]}"
    with new_role(role):
        with connection.cursor() as cursor:
            # A member of the owner may do what the owner may, drop the triggers included.
            cursor.execute(f'GRANT "{owner}" TO "{role}"')
        set_role(role)
        with pytest.raises(SystemCheckError, match=r"segmenta.E003.*owns the audit table audit_auditevent"):
            deploy_check()



@override_settings(PRODUCTION=False, SEGMENTA_REQUIRE_MFA=False, ALLOWED_HOSTS=["*"])
def test_the_local_demo_may_run_without_them():
    deploy_check()
