from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class OutcomesConfig(AppConfig):
    name = "segmenta.outcomes"
    label = "outcomes"
    verbose_name = _("Outcomes")

    def ready(self):
        # The practice outcomes' figures follow every change in its own transaction, and are
        # rebuilt at migrate when they were computed with other knowledge (an update).
        from . import aggregates

        aggregates.connect()
        post_migrate.connect(_outcomes_current, sender=self, dispatch_uid="segmenta.outcomes.aggregates")


def _outcomes_current(sender, using, **kwargs):
    from . import aggregates

    aggregates.ensure_current(using)
