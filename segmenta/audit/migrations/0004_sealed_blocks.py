"""Sealed blocks, one chain per clinic, instead of one chain through every event.

Events already written keep their chained hashes and are sealed here into each clinic's
first blocks (events without a clinic into chain 0), so the trail they form stays checked
both ways. An event's hash need no longer be unique: new events hash their own content.
On SQLite, changing the hash column rebuilds the table, which drops its triggers; they are
made again below, and the blocks get the same guards as the events.
"""

from django.db import migrations, models
from django.utils import timezone

from segmenta.audit.sealing import GENESIS_HASH, block_hash, digest, runs

# The largest block a migration writes: verify reads a block's events at once.
BLOCK_MAX = 10_000

PG_TRIGGERS = [
    """CREATE TRIGGER audit_block_no_update BEFORE UPDATE ON audit_auditblock
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
    """CREATE TRIGGER audit_block_no_delete BEFORE DELETE ON audit_auditblock
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
]
SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER IF NOT EXISTS audit_{kind}_no_{verb} BEFORE {verb.upper()} ON audit_audit{kind}
    BEGIN
        SELECT RAISE(ABORT, 'audit events are append-only');
    END"""
    for kind in ("event", "block") for verb in ("update", "delete")
]


def seal_linked_events(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditBlock = apps.get_model("audit", "AuditBlock")
    chains = {}
    for event_id, clinic_id, event_hash, at in (AuditEvent.objects.order_by("clinic_id", "id")
                                                 .values_list("id", "clinic_id", "hash", "at").iterator()):
        chains.setdefault(clinic_id or 0, []).append((event_id, event_hash, at))
    now = timezone.now()
    for chain, events in chains.items():
        prev, total = GENESIS_HASH, 0
        for seq, start in enumerate(range(0, len(events), BLOCK_MAX), 1):
            part = events[start:start + BLOCK_MAX]
            total += len(part)
            fields = dict(chain=chain, seq=seq, prev_hash=prev, runs=runs(i for i, _h, _a in part), count=len(part),
                          total=total, digest=digest((i, h) for i, h, _a in part),
                          last_event_at=max(a for _i, _h, a in part), sealed_at=now)
            prev = block_hash(chain=chain, seq=seq, prev_hash=fields["prev_hash"], block_runs=fields["runs"],
                              count=fields["count"], total=total, event_digest=fields["digest"],
                              last_event_at=fields["last_event_at"].isoformat(), sealed_at=now.isoformat())
            AuditBlock.objects.create(hash=prev, **fields)


def guard(apps, schema_editor):
    statements = {"postgresql": PG_TRIGGERS, "sqlite": SQLITE_TRIGGERS}.get(schema_editor.connection.vendor, [])
    for statement in statements:
        schema_editor.execute(statement, params=None)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for verb in ("update", "delete"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS audit_block_no_{verb} ON audit_auditblock", params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0003_sqlite_no_delete'),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditevent',
            name='hash',
            field=models.CharField(max_length=64),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='prev_hash',
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.CreateModel(
            name='AuditBlock',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('chain', models.PositiveBigIntegerField(help_text="the clinic's id; 0 for events without a clinic (e.g. logins)")),
                ('seq', models.PositiveIntegerField(help_text="1 for a chain's first block, then one more each")),
                ('prev_hash', models.CharField(max_length=64)),
                ('runs', models.JSONField(help_text='the event ids sealed here, as [first, last] runs of consecutive ids')),
                ('count', models.PositiveIntegerField()),
                ('total', models.PositiveBigIntegerField(help_text='events sealed in this chain up to and including this block')),
                ('digest', models.CharField(max_length=64)),
                ('last_event_at', models.DateTimeField()),
                ('sealed_at', models.DateTimeField(db_index=True)),
                ('hash', models.CharField(max_length=64, unique=True)),
            ],
            options={
                'ordering': ['chain', 'seq'],
                'constraints': [models.UniqueConstraint(fields=('chain', 'seq'), name='audit_block_one_per_place')],
            },
        ),
        # Guards first: the sealing below is then written under them, as every later block is.
        migrations.RunPython(guard, unguard),
        migrations.RunPython(seal_linked_events, migrations.RunPython.noop),
    ]
