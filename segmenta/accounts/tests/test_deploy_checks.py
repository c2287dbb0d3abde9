"""`check --deploy` refuses a production configuration without the second factor for
everyone or with ALLOWED_HOSTS open to any host name."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings


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


@override_settings(PRODUCTION=True, SEGMENTA_REQUIRE_MFA=True, ALLOWED_HOSTS=["segmenta.example.org"])
def test_a_sound_production_configuration_passes():
    deploy_check()


@override_settings(PRODUCTION=False, SEGMENTA_REQUIRE_MFA=False, ALLOWED_HOSTS=["*"])
def test_the_local_demo_may_run_without_them():
    deploy_check()
