from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "segmenta.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        # Registers the deploy checks and connects the audit receivers.
        from . import checks, signals  # noqa: F401
