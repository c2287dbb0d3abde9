from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatientsConfig(AppConfig):
    name = "segmenta.patients"
    label = "patients"
    verbose_name = _("Patients")

    def ready(self):
        # A restricted chart refuses every change, whichever app's model it comes through.
        from . import restriction

        restriction.connect()
