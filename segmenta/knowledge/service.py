"""The knowledge base as the Django shell uses it: per clinic, with versions kept."""

from .base import load
from .models import ClinicOverride, KnowledgeRelease


def overrides_of(clinic):
    return [(o.kind, o.entry_id, o.data, o.reason)
            for o in ClinicOverride.objects.filter(clinic=clinic, active=True).order_by("id")]


def for_clinic(clinic):
    """The shipped base with the clinic's active overrides applied."""
    base = load()
    return base.with_overrides(overrides_of(clinic)) if clinic is not None else base


def remember(kb):
    """Keep this version's content (once) and return its version string.

    Engines call this when they produce a result, so the version they store with it
    can always be looked up later.
    """
    KnowledgeRelease.objects.get_or_create(version=kb.version, defaults={"content": kb.export()})
    return kb.version
