from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InteropConfig(AppConfig):
    name = "segmenta.interop"
    label = "interop"
    verbose_name = _("Interop")

    def ready(self):
        from segmenta.treatment.signals import session_signed

        from .gdt import hooks

        # A signed session's result goes to the practice system (GDT), once committed.
        session_signed.connect(hooks.session_signed, dispatch_uid="segmenta.interop.gdt")
