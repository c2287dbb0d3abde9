"""Text messages through a pluggable backend (``SEGMENTA_SMS_BACKEND``, a dotted path).

A real provider is one subclass of ``SmsBackend`` implementing ``send``. Shipped: the
console backend (prints, for the demo) and the locmem backend (an outbox in memory, for
tests). Without a backend configured no SMS is sent: SMS is optional.
"""

import sys

from django.conf import settings
from django.utils.module_loading import import_string

SHIPPED = {"console": "segmenta.scheduling.sms.ConsoleBackend", "locmem": "segmenta.scheduling.sms.LocmemBackend"}

# The locmem backend's messages, as Django's mail.outbox: (number, text) pairs.
outbox = []


class SmsError(Exception):
    """The provider did not take the message; the text says why (no patient data in it)."""


class SmsBackend:
    def send(self, number, text):
        """Hand ``text`` to the provider for ``number`` (as the patient's chart has it).

        Return the provider's id for the message, or None; raise ``SmsError`` when it is
        refused, so the message is recorded as failed and tried again on the next run.
        """
        raise NotImplementedError


class ConsoleBackend(SmsBackend):
    def send(self, number, text):
        sys.stdout.write(f"SMS to {number}:\n{text}\n{'-' * 40}\n")
        sys.stdout.flush()


class LocmemBackend(SmsBackend):
    def send(self, number, text):
        outbox.append((number, text))


def backend():
    """The configured backend, or None when SMS is off."""
    path = settings.SEGMENTA_SMS_BACKEND
    if not path:
        return None
    return import_string(SHIPPED.get(path, path))()
