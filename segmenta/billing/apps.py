from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "segmenta.billing"
    label = "billing"
    verbose_name = _("Invoices")

    def ready(self):
        # Issued invoices keep their chart past its own period (tax law): the purge asks here.
        from segmenta.patients import erasure

        from .retention import hold

        erasure.register_hold(hold)
