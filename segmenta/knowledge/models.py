"""What the database keeps of the knowledge base: every version that was used, and
each clinic's own overrides."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import KINDS


# Not overridable: the sources themselves, and the retention periods (a clinic sets its own
# period on its settings page, where it can never be shorter than the law where it practises).
NOT_OVERRIDABLE = {"source", "retention"}


def overridable_kind(value):
    """Every kind of the knowledge base except the sources and the retention periods."""
    if value == "retention":
        raise ValidationError(_("A clinic sets its retention period on its settings page, not here."), code="kind")
    if value not in KINDS or value in NOT_OVERRIDABLE:
        raise ValidationError(_("Unknown kind: %(kind)s.") % {"kind": value}, code="kind")


def overridable_kinds():
    return [(k, k) for k in KINDS if k not in NOT_OVERRIDABLE]


class KnowledgeRelease(models.Model):
    """A version of the knowledge base with its full content, kept once it has been
    used, so an old note or engine result can always be read with what it meant then."""

    version = models.CharField(_("version"), max_length=80, unique=True)
    content = models.JSONField(_("content"))
    first_used_at = models.DateTimeField(_("first used"), auto_now_add=True)

    class Meta:
        ordering = ["-first_used_at"]
        verbose_name = _("knowledge release")

    def __str__(self):
        return self.version


class ClinicOverride(models.Model):
    """A clinic's own entry, or its change to a shipped one (a dose policy, a local
    scope-of-practice rule). Shipped files stay untouched; overrides are audited."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="knowledge_overrides")
    # No `choices`: the kinds come from the data files, and a new kind must not need a migration.
    kind = models.CharField(_("kind"), max_length=30, validators=[overridable_kind])
    entry_id = models.CharField(_("entry id"), max_length=80)
    data = models.JSONField(_("fields"), help_text=_("The fields that replace the shipped ones, or a whole new entry."))
    reason = models.CharField(_("reason"), max_length=500)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["kind", "entry_id", "-id"]
        verbose_name = _("clinic override")
        constraints = [models.UniqueConstraint(fields=["clinic", "kind", "entry_id"], condition=models.Q(active=True),
                                               name="one_active_override_per_entry")]

    def __str__(self):
        return f"{self.clinic}: {self.kind}/{self.entry_id}"


class SearchIndexBuild(models.Model):
    """A version of the knowledge base (shipped, or with a clinic's overrides) whose entries
    are in the search index. The index is built on the first search after the version
    changes (or by `segmenta kb reindex` and at migrate); older builds are dropped."""

    version = models.CharField(_("version"), max_length=80, unique=True)
    entries = models.PositiveIntegerField(_("entries"), default=0)
    built_at = models.DateTimeField(_("built"), auto_now=True)

    class Meta:
        ordering = ["-built_at", "-id"]
        verbose_name = _("search index build")

    def __str__(self):
        return self.version


class SearchEntry(models.Model):
    """One entry of one version of the knowledge base as the Learn search indexes it: its name,
    its other names, and its page as text. The database searches it with its own full-text
    search: on SQLite an FTS5 table kept in step by triggers (knowledge_searchentry_fts), on
    PostgreSQL a generated tsvector column `document` with a GIN index (migration 0003).

    On SQLite, a migration that rebuilds this table must recreate the triggers."""

    version = models.CharField(_("version"), max_length=80, db_index=True)
    kind = models.CharField(_("kind"), max_length=30)
    entry_id = models.CharField(_("entry id"), max_length=80)
    name = models.CharField(_("name"), max_length=300)
    synonyms = models.TextField(_("other names"), blank=True, default="")
    body = models.TextField(_("text"), blank=True, default="")

    class Meta:
        verbose_name = _("search entry")
        verbose_name_plural = _("search entries")
        constraints = [models.UniqueConstraint(fields=["version", "kind", "entry_id"], name="one_search_entry_per_version")]

    def __str__(self):
        return f"{self.kind}/{self.entry_id} ({self.version})"
