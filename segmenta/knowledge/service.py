"""The knowledge base as the Django shell uses it: per clinic, with versions kept."""

import dataclasses
import json
import logging
from functools import lru_cache

from segmenta.prepared import Prepared

from .base import KnowledgeError, load
from .models import ClinicOverride, KnowledgeRelease

log = logging.getLogger(__name__)


# Read on every chart, safety check and assessment: its SQL is built once (segmenta/prepared.py).
_active_overrides = Prepared(lambda clinic_id: ClinicOverride.objects.filter(
    clinic_id=clinic_id, active=True).order_by("id"), int)


def overrides_of(clinic):
    """The clinic's active overrides as (kind, entry id, data, reason), oldest first."""
    return [(o.kind, o.entry_id, o.data, o.reason) for o in _active_overrides(getattr(clinic, "pk", clinic))]


def for_clinic(clinic):
    """The shipped base with the clinic's active overrides applied.

    Never fails: overrides that no longer validate (the shipped data changed under them)
    give the shipped base with ``problems`` saying why, so no page breaks and the safety
    check can say that the clinic's own rules are not applied. Merged bases are cached by
    their overrides' content, since merging re-validates the whole base.
    """
    if clinic is None:
        return load()
    overrides = overrides_of(clinic)
    if not overrides:
        return load()
    return _merged(json.dumps(overrides, sort_keys=True, default=str))


@lru_cache(maxsize=64)
def _merged(overrides_json):
    overrides = [tuple(o) for o in json.loads(overrides_json)]
    try:
        return load().with_overrides(overrides)
    except KnowledgeError as error:
        log.warning("clinic overrides do not validate, the shipped knowledge base applies: %s", error)
        return dataclasses.replace(load(), problems=error.problems)


def remember(kb):
    """Keep this version's content (once) and return its version string.

    Engines call this when they produce a result, so the version they store with it
    can always be looked up later.
    """
    KnowledgeRelease.objects.get_or_create(version=kb.version, defaults={"content": kb.export()})
    return kb.version
