"""Signals of treatment, for the floors above it (they connect; treatment imports nothing of theirs)."""

from django.dispatch import Signal

# Sent once a session's signature is committed (never for one rolled back), with
# ``session`` and the signing ``user``: the GDT connection writes its result file.
session_signed = Signal()
