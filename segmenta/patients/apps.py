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

        # A date stored before the app refused it (before 1900, BC on PostgreSQL) still opens.
        from django.db.backends.signals import connection_created

        from segmenta.stored_dates import tolerate_out_of_range

        connection_created.connect(tolerate_out_of_range, dispatch_uid="segmenta.stored_dates")

        # Every table of patient data renews the patient's stamp. Its triggers are dropped
        # before each migrate (SQLite's table rebuilds would trip on them) and made after it.
        from django.db.models.signals import post_migrate, pre_migrate

        from . import stamps

        pre_migrate.connect(stamps.before_migrate, sender=self, dispatch_uid="segmenta.patients.stamps.drop")
        post_migrate.connect(stamps.after_migrate, sender=self, dispatch_uid="segmenta.patients.stamps")
