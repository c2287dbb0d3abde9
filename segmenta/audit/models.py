"""The audit trail: an append-only log of who did what to which record, sealed into
hash-linked blocks, one chain of blocks per clinic.

An event stores the SHA-256 of its own content, so writing one is a plain insert: no lock
that every clinic's every read would queue behind. A sealer (every few seconds after a
request, and `segmenta audit seal`) gathers each clinic's new events into a block that names
its events and links to the clinic's previous block (see ``sealing``), so changing or
removing a sealed event, or a block, is found by `segmenta audit verify`. The models refuse
updates and deletes, the admin is read-only, and database triggers reject UPDATE and DELETE
even from raw SQL. Cutting the newest blocks off breaks no link; an anchor kept elsewhere
(`segmenta audit anchor`) shows it.

Events written before blocks existed carry the hash of the event before them as well
(``prev_hash``); they keep being checked as that one chain, and a migration sealed them
into each clinic's first block.
"""

import hashlib
import json

from django.db import models
from django.utils.translation import gettext_lazy as _

from segmenta.prepared import PreparedInsert

from .sealing import GENESIS_HASH, block_hash  # GENESIS_HASH: the empty chain's head


class Action(models.TextChoices):
    VIEW = "view", _("View")
    CREATE = "create", _("Create")
    UPDATE = "update", _("Update")
    DELETE = "delete", _("Delete")
    EXPORT = "export", _("Export")
    LOGIN = "login", _("Login")
    LOGOUT = "logout", _("Logout")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOCKED_OUT = "locked_out", _("Locked out")
    MFA_VERIFIED = "mfa_verified", _("Second factor verified")
    MFA_FAILED = "mfa_failed", _("Second factor failed")
    MFA_ENROLLED = "mfa_enrolled", _("Second factor enrolled")
    REAUTH = "reauth", _("Re-authenticated")
    REAUTH_FAILED = "reauth_failed", _("Re-authentication failed")
    ACKNOWLEDGE = "acknowledge", _("Acknowledged a warning")


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("audit events are append-only")

    def delete(self):
        raise PermissionError("audit events are append-only")

    # Events are written through audit.record() and record_each(), which hash each one.
    def bulk_create(self, *args, **kwargs):
        raise PermissionError("audit events are written through audit.record() and record_each()")

    def bulk_update(self, *args, **kwargs):
        raise PermissionError("audit events are append-only")


class AuditEvent(models.Model):
    # References are kept without database constraints: the trail must outlive the
    # users, clinics and patients it mentions, and it may never be rewritten to null them.
    # The clinic and the patient have no index of their own: the indexes below start with
    # them, and every read writes an event, which updates every index (two fewer: 110 -> 85 µs
    # an insert on SQLite). On PostgreSQL the action's LIKE index is dropped too (migration
    # 0005). The user name has none: the trail is searched by it without regard to case,
    # which an index of the plain name never serves (0006).
    at = models.DateTimeField(_("when"), db_index=True)
    user = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    username = models.CharField(_("user"), max_length=150, blank=True)
    clinic = models.ForeignKey(
        "accounts.Clinic", null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+",
        db_index=False,
    )
    patient = models.ForeignKey(
        "patients.Patient", null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+",
        db_index=False,
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices, db_index=True)
    object_type = models.CharField(_("object type"), max_length=50, blank=True)
    object_id = models.CharField(_("object"), max_length=64, blank=True)
    source_ip = models.GenericIPAddressField(_("source address"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    # Empty for events written since blocks exist; the chained hash before them.
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(fields=["patient", "-id"]),
            models.Index(fields=["clinic", "-id"]),
        ]

    @property
    def chain(self):
        """The chain of blocks this event is sealed into: its clinic's, 0 without one."""
        return self.clinic_id or 0

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username or '-'} {self.action} {self.object_type} {self.object_id}"

    def canonical(self):
        """The hashed content: every field that states what happened."""
        return json.dumps(
            {
                "at": self.at.isoformat(),
                "user_id": self.user_id,
                "username": self.username,
                "clinic_id": self.clinic_id,
                "patient_id": self.patient_id,
                "action": self.action,
                "object_type": self.object_type,
                "object_id": self.object_id,
                "source_ip": self.source_ip,
                "detail": self.detail,
            },
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=True,
        )

    def compute_hash(self):
        return hashlib.sha256((self.prev_hash + self.canonical()).encode("ascii")).hexdigest()

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("audit events are append-only")
        if args or kwargs:
            super().save(*args, **kwargs)
        else:  # every read writes one: the statement is built once (segmenta/prepared.py)
            _INSERT(self)

    @classmethod
    def insert(cls, *events):
        """Insert new ``events`` in one statement, each as save() would."""
        if any(event.pk is not None for event in events):
            raise PermissionError("audit events are append-only")
        _INSERT(*events)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit events are append-only")


_INSERT = PreparedInsert(AuditEvent)


class AuditBlock(models.Model):
    """A sealed set of one clinic's events, linked to that clinic's previous block."""

    chain = models.PositiveBigIntegerField(help_text="the clinic's id; 0 for events without a clinic (e.g. logins)")
    seq = models.PositiveIntegerField(help_text="1 for a chain's first block, then one more each")
    prev_hash = models.CharField(max_length=64)
    runs = models.JSONField(help_text="the event ids sealed here, as [first, last] runs of consecutive ids")
    count = models.PositiveIntegerField()
    total = models.PositiveBigIntegerField(help_text="events sealed in this chain up to and including this block")
    digest = models.CharField(max_length=64)
    last_event_at = models.DateTimeField()
    sealed_at = models.DateTimeField(db_index=True)
    hash = models.CharField(max_length=64, unique=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["chain", "seq"]
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="audit_block_one_per_place")]

    def __str__(self):
        return f"chain {self.chain} block {self.seq}"

    def compute_hash(self):
        return block_hash(chain=self.chain, seq=self.seq, prev_hash=self.prev_hash, block_runs=self.runs,
                          count=self.count, total=self.total, event_digest=self.digest,
                          last_event_at=self.last_event_at.isoformat(), sealed_at=self.sealed_at.isoformat())

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("audit blocks are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit blocks are append-only")
