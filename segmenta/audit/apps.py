from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "segmenta.audit"
    label = "audit"
    verbose_name = _("Audit")

    def ready(self):
        from django.core.signals import request_finished

        from .trail import seal_after_requests

        request_finished.connect(seal_after_requests, dispatch_uid="segmenta.audit.seal")
