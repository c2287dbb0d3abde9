"""Writing, sealing and checking the audit trail.

Call :func:`record` inside the same transaction as the change it describes: if the
change rolls back, so does its event, and an event never claims something that did not
happen. Recording is one plain insert; :func:`seal` later links the new events of each
clinic into that clinic's chain of blocks (see ``sealing``).
"""

import bisect
import functools
import ipaddress
import operator
import logging
import threading
import time
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import BigIntegerField, F, Func, Max, Q
from django.utils.ipv6 import clean_ipv6_address
from django.utils import timezone

from .models import GENESIS_HASH, Action, AuditBlock, AuditEvent
from .sealing import digest, runs

logger = logging.getLogger(__name__)

# Any constant works: with a chain number it names the lock one chain's sealers share on
# PostgreSQL (readers and writers never take it).
_PG_SEAL_LOCK = 0x5E6A_A0D1 & 0x7FFFFFFF
# How long an event may take from being recorded to being committed and still be found by
# a seal that looks back (`segmenta audit seal`, and once a minute after requests); a longer
# transaction's events are found by the hourly seal after requests, which looks back a day,
# or by a sweep over every event (`segmenta audit seal --sweep`, `audit anchor`);
# `audit verify` names every event not yet sealed.
SEAL_LOOKBACK = timedelta(minutes=10)
HOURLY_LOOKBACK = timedelta(days=1)
HOURLY_EVERY_SECONDS = 3600
_BATCH = 2000
# The most events one block seals: verify reads a block's events at once.
BLOCK_MAX = 10_000


def client_ip(request):
    """The client's address, in the one form the database stores (and the hash covers).

    Behind SEGMENTA_PROXY_COUNT trusted proxies, the client is the address the
    outermost of them appended to X-Forwarded-For; anything before it is the client's
    own claim and is ignored.
    """
    if request is None:
        return None
    raw = request.META.get("REMOTE_ADDR") or ""
    hops = settings.SEGMENTA_PROXY_COUNT
    if hops:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            raw = forwarded[-hops]
    return _stored_form(raw)


# Parsed once per address, not on every request: the same few clients ask again and again,
# and parsing took a tenth of recording a read (docs/scaling.md).
@functools.lru_cache(maxsize=1024)
def _stored_form(raw):
    try:
        address = ipaddress.ip_address(raw.split("%")[0])
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address) if address.version == 4 else clean_ipv6_address(str(address))


def record(action, *, request=None, user=None, clinic=None, clinic_id=None, patient=None, patient_id=None,
           obj=None, object_type="", object_id="", username=None, detail=None):
    """Append one event to the chain and return it.

    ``user`` defaults to the request's user; ``obj`` fills object type and id; the clinic,
    given as ``clinic`` or as its id ``clinic_id``, defaults to the patient's clinic; the
    patient is given as ``patient`` or as its id ``patient_id``.
    """
    event = _event(action, request=request, user=user, clinic=clinic, clinic_id=clinic_id, patient=patient,
                   patient_id=patient_id, obj=obj, object_type=object_type, object_id=object_id,
                   username=username, detail=detail)
    event.save()
    return event


def record_each(action, each, **common):
    """Append one event per dict in ``each`` (what differs between them: ``clinic_id`` and
    ``detail``, say), the rest as ``common``, as record() would, in one insert; return them.

    Why one insert: a page that shows the patients of several clinics records one event per
    clinic (each clinic's admins see their own), and every read should cost one write.
    """
    events = [_event(action, **{**common, **one}) for one in each]
    AuditEvent.insert(*events)
    return events


def _event(action, *, request=None, user=None, clinic=None, clinic_id=None, patient=None, patient_id=None,
           obj=None, object_type="", object_id="", username=None, detail=None):
    if user is None and request is not None and getattr(request, "user", None) is not None:
        user = request.user if request.user.is_authenticated else None
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = object_id or str(obj.pk)
    if clinic is not None:
        clinic_id = clinic.pk
    elif clinic_id is None and patient is not None:
        clinic_id = patient.clinic_id
    event = AuditEvent(
        at=timezone.now(),
        user=user,
        username=username if username is not None else (user.get_username() if user else ""),
        clinic_id=clinic_id,
        patient_id=patient.pk if patient is not None else patient_id,
        action=Action(action),
        object_type=object_type,
        object_id=str(object_id),
        source_ip=client_ip(request),
        detail=_plain(detail or {}),
    )
    # The content's own hash: no lock and no read of any other event. The sealer links it.
    event.prev_hash = ""
    event.hash = event.compute_hash()
    return event


def _plain(value):
    """Detail as the database will hand it back: floats become text, because
    PostgreSQL's jsonb may rewrite a float's digits and so break the hash."""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _chain_events(chain):
    """The events of one chain: a clinic's, or (chain 0) those without a clinic."""
    return AuditEvent.objects.filter(clinic__isnull=True) if chain == 0 else AuditEvent.objects.filter(clinic_id=chain)


def _expand(block_runs):
    return [event_id for first, last in block_runs for event_id in range(first, last + 1)]


class _Covered:
    """The event ids that blocks hold, kept as runs: asking whether an id is sealed costs a
    binary search, not a set of every id of the last ten minutes (at a thousand reads a
    second that set alone took longer to build than the seal it served)."""

    def __init__(self, block_runs):
        merged = []
        for first, last in sorted(r for one in block_runs for r in one):
            if merged and first <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], last)
            else:
                merged.append([first, last])
        self.starts = [first for first, _last in merged]
        self.runs = merged
        self.highest = merged[-1][1] if merged else 0

    def __contains__(self, event_id):
        i = bisect.bisect_right(self.starts, event_id) - 1
        return i >= 0 and event_id <= self.runs[i][1]


def seal(*, sweep=False, lookback=SEAL_LOOKBACK, new_only=False):
    """Seal each chain's unsealed events into one new block; return how many were sealed.

    The seal looks back ``lookback`` from the newest block; ``sweep`` looks at every event;
    ``new_only`` takes only events above the highest id the window's blocks hold, so its
    cost follows the new events alone (the frequent seal after requests; an event committed
    late, below that id, waits for the next seal that looks back). A seal that looks back
    reads the window's blocks and then only the events between the ids they hold
    (:func:`_between_sealed`), not every event of the window: the hourly seal after requests
    looks back a day, which at a thousand reads a second is 86 million events.

    Each chain is sealed on its own, so sealers of different clinics never wait for each
    other. What to seal is read first, without any lock; only writing the block takes the
    chain's lock (PostgreSQL) or the write lock (SQLite), and if another sealer extended the
    chain in between, this one leaves it (the next run takes whatever is left).
    """
    newest = AuditBlock.objects.order_by("-sealed_at").values_list("sealed_at", flat=True).first()
    since = None if sweep or newest is None else newest - lookback
    pending, above = None, 0
    if since is None:
        fresh = AuditEvent.objects.filter(prev_hash="")
        chains = {clinic or 0 for clinic in fresh.order_by().values_list("clinic_id", flat=True).distinct()}
    elif new_only:
        # The chains with events above the highest id any recent block holds (a chain whose
        # only new events lie below it waits for the next seal that looks back). By id
        # alone: the index on the time would lead the database through the whole window.
        above = _highest_sealed(AuditBlock.objects.filter(sealed_at__gte=since - SEAL_LOOKBACK))
        fresh = AuditEvent.objects.filter(prev_hash="", id__gt=above)
        chains = {clinic or 0 for clinic in fresh.order_by().values_list("clinic_id", flat=True).distinct()}
    else:
        pending = _between_sealed(since)
        chains = set(pending)
    sealed = 0
    for chain in sorted(chains):
        try:
            while True:
                count = _seal_chain(chain, since, new_only, among=None if pending is None else pending[chain],
                                    above=above)
                sealed += count
                if count < BLOCK_MAX:
                    break
        except IntegrityError:
            # Another sealer took this block's place in the chain first; the next run
            # seals whatever it left.
            logger.info("audit chain %s: another sealer was first", chain)
    return sealed


class _LastSealedId(Func):
    """The highest event id a block holds: the end of its last run (runs are sorted). Read
    by the database, so that a seal does not decode every recent block's runs in Python:
    where clinics' events interleave, a block holds as many runs as events."""

    output_field = BigIntegerField()

    def __init__(self):
        super().__init__(F("runs"))

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="json_extract(%(expressions)s, '$[#-1][1]')", **extra)

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="((%(expressions)s -> -1) ->> 1)::bigint", **extra)


def _highest_sealed(blocks):
    """The highest event id any of ``blocks`` holds, 0 if none."""
    return blocks.aggregate(highest=Max(_LastSealedId()))["highest"] or 0


# How many id ranges one query of the look-back asks for (a statement's size stays modest).
_RANGES_PER_QUERY = 200


def _between_sealed(since):
    """{chain: [(id, hash, at), …]} of the events recorded since ``since`` that no block of
    the window holds, read by id: the ids above the highest sealed one, and the gaps between
    the runs of sealed ids (events committed late, and ids that never committed), from the
    first event recorded since then. Blocks sealed while this reads are left to
    :func:`_seal_chain`, which reads its chain's head first and its blocks after it.

    An event recorded since then whose id lies below both that first event's and every id the
    window's blocks hold (which reach back SEAL_LOOKBACK further: a clock behind the others by
    more than that) is left to a sweep; ``audit verify`` names it.
    """
    # (Unordered: ordered by chain and place, SQLite would read every block ever sealed.)
    covered = _Covered(AuditBlock.objects.filter(sealed_at__gte=since - SEAL_LOOKBACK).order_by()
                       .values_list("runs", flat=True).iterator())
    first = AuditEvent.objects.filter(at__gte=since).order_by("at").values_list("id", flat=True).first()
    if first is None:
        return {}
    gaps = [(last + 1, following - 1) for (_first, last), (following, _last) in zip(covered.runs, covered.runs[1:])]
    if covered.runs and first < covered.runs[0][0]:
        gaps.insert(0, (first, covered.runs[0][0] - 1))
    ranges = [Q(id__gte=low, id__lte=high) for low, high in gaps]
    ranges.append(Q(id__gt=covered.highest))
    pending = defaultdict(list)
    for start in range(0, len(ranges), _RANGES_PER_QUERY):
        # By the id ranges alone: the time is checked on the few rows they find, so the
        # database never reads the window through the index on the time. Unordered: the
        # model's order (newest first) would have SQLite read the whole table instead.
        found = AuditEvent.objects.filter(functools.reduce(operator.or_, ranges[start:start + _RANGES_PER_QUERY]),
                                          prev_hash="").order_by()
        for event_id, clinic_id, event_hash, at in found.values_list("id", "clinic_id", "hash", "at").iterator():
            if at >= since:
                pending[clinic_id or 0].append((event_id, event_hash, at))
    return pending


def _seal_chain(chain, since, new_only=False, among=None, above=0):
    """Seal up to BLOCK_MAX of the chain's unsealed events into its next block: the events
    ``among`` those given (found by :func:`_between_sealed`), else read here; ``new_only``,
    those above ``above`` (the highest id the recent blocks of every chain hold) and above
    this chain's recent blocks."""
    head = AuditBlock.objects.filter(chain=chain).order_by("-seq").first()
    blocks = AuditBlock.objects.filter(chain=chain).order_by()
    if since is not None:
        # A block sealed before an event was recorded cannot hold it (with some slack
        # for clocks of several servers).
        blocks = blocks.filter(sealed_at__gte=since - SEAL_LOOKBACK)
    # Read after the head: a block written since is either read here or changes the head.
    if new_only:
        # Only ids above every recently sealed one: no block holds them. Not this chain's
        # recent blocks alone: a chain idle for longer than the window has none, and its
        # whole history would look new. Nor ``above`` alone, read before the head.
        covered = _Covered([])
        among = (_chain_events(chain).filter(prev_hash="", id__gt=max(above, _highest_sealed(blocks)))
                 .order_by("id").values_list("id", "hash", "at").iterator())
    else:
        covered = _Covered(blocks.values_list("runs", flat=True).iterator())
    if among is None:  # a sweep: every event of the chain (a look-back passes what it found)
        among = _chain_events(chain).filter(prev_hash="").order_by("id").values_list("id", "hash", "at").iterator()
    new = [(event_id, event_hash, at) for event_id, event_hash, at in among if event_id not in covered]
    new.sort()
    new = new[:BLOCK_MAX]
    if not new:
        return 0
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [(_PG_SEAL_LOCK << 32) | (chain & 0xFFFFFFFF)])
                if not cursor.fetchone()[0]:
                    return 0
        # (On SQLite the IMMEDIATE transaction holds the database's write lock already.)
        now_head = AuditBlock.objects.filter(chain=chain).order_by("-seq").values_list("seq", flat=True).first()
        if now_head != (head.seq if head else None):
            return 0  # another sealer extended the chain since we read it, perhaps with these events
        block = AuditBlock(
            chain=chain,
            seq=head.seq + 1 if head else 1,
            prev_hash=head.hash if head else GENESIS_HASH,
            runs=runs(event_id for event_id, _hash, _at in new),
            count=len(new),
            total=(head.total if head else 0) + len(new),
            digest=digest((event_id, event_hash) for event_id, event_hash, _at in new),
            last_event_at=max(at for _id, _hash, at in new),
            sealed_at=timezone.now(),
        )
        block.hash = block.compute_hash()
        block.save()
        return len(new)


_seal_lock = threading.Lock()
_last_seal = {"quick": 0.0, "window": 0.0, "hourly": 0.0}
# After requests, the seal every SEGMENTA_AUDIT_SEAL_SECONDS takes the new events only; one
# a minute looks back SEAL_LOOKBACK for events committed late, and one an hour a whole day.
WINDOW_EVERY_SECONDS = 60


def seal_after_requests(**_kwargs):
    """Run by each finished request: seal at most every SEGMENTA_AUDIT_SEAL_SECONDS per
    process (the response has gone out already), looking back ten minutes once a minute and
    a day once an hour; never fail the request."""
    every = settings.SEGMENTA_AUDIT_SEAL_SECONDS
    now = time.monotonic()
    if not every or now - _last_seal["quick"] < every or not _seal_lock.acquire(blocking=False):
        return
    try:
        _last_seal["quick"] = now
        if now - _last_seal["hourly"] >= HOURLY_EVERY_SECONDS:
            _last_seal["hourly"] = _last_seal["window"] = now
            seal(lookback=HOURLY_LOOKBACK)
        elif now - _last_seal["window"] >= WINDOW_EVERY_SECONDS:
            _last_seal["window"] = now
            seal()
        else:
            seal(new_only=True)
    except DatabaseError:
        logger.exception("sealing the audit trail failed; the next request tries again")
    finally:
        _seal_lock.release()


def verify(batch_size=_BATCH):
    """Check the whole trail; return (events_checked, problems).

    A problem is an (event id or None, description) pair. Every block must link to the one
    before it in its chain and hold exactly the events it names, unchanged; events written
    before blocks existed must still link up as the one chain they were; every event's
    content must match its hash, sealed or not (``unsealed`` names those not yet sealed).
    """
    problems = _verify_linked_events(batch_size)
    chains = AuditBlock.objects.order_by().values_list("chain", flat=True).distinct()
    for chain in sorted(set(chains)):
        problems += _verify_chain(chain)
    for event in AuditEvent.objects.filter(prev_hash="").order_by("id").iterator(chunk_size=batch_size):
        if event.compute_hash() != event.hash:
            problems.append((event.id, "content does not match its hash (the event was changed)"))
    return AuditEvent.objects.count(), sorted(problems, key=lambda p: (p[0] is None, p[0] or 0, p[1]))


def _verify_linked_events(batch_size):
    """The events written before blocks: each carries the hash of the one before it."""
    problems = []
    prev = GENESIS_HASH
    for event in AuditEvent.objects.exclude(prev_hash="").order_by("id").iterator(chunk_size=batch_size):
        if event.prev_hash != prev:
            problems.append((event.id, "previous-hash link broken (an event before it was changed or removed)"))
        if event.compute_hash() != event.hash:
            problems.append((event.id, "content does not match its hash (the event was changed)"))
        prev = event.hash
    return problems


def _chain_name(chain):
    return f"clinic {chain}" if chain else "events without a clinic"


def _verify_chain(chain):
    problems = []
    prev, total, seen = GENESIS_HASH, 0, set()
    for expected_seq, block in enumerate(AuditBlock.objects.filter(chain=chain).order_by("seq").iterator(), 1):
        where = f"{_chain_name(chain)}, block {block.seq}"
        if block.seq != expected_seq:
            problems.append((None, f"{where}: expected block {expected_seq} here (blocks before it were removed)"))
        if block.prev_hash != prev:
            problems.append((None, f"{where}: link to the block before broken (a block before it was changed or removed)"))
        if block.compute_hash() != block.hash:
            problems.append((None, f"{where}: content does not match its hash (the block was changed)"))
        ids = _expand(block.runs)
        if len(ids) != block.count or block.total != total + block.count:
            problems.append((None, f"{where}: its counts do not add up (the block was changed)"))
        twice = seen.intersection(ids)
        if twice:
            problems.append((None, f"{where}: holds events sealed before ({_few(twice)})"))
        seen.update(ids)
        stored = dict(_chain_events(chain).filter(id__gte=ids[0], id__lte=ids[-1]).values_list("id", "hash")) \
            if ids else {}
        missing = [event_id for event_id in ids if event_id not in stored]
        if missing:
            problems.append((None, f"{where}: {len(missing)} of its events are missing, deleted or moved "
                                   f"({_few(missing)})"))
        elif digest((event_id, stored[event_id]) for event_id in ids) != block.digest:
            problems.append((None, f"{where}: its events' hashes are not those sealed (an event was rewritten)"))
        prev, total = block.hash, block.total
    return problems


def _few(ids, shown=5):
    ids = sorted(ids)
    listed = ", ".join(str(event_id) for event_id in ids[:shown])
    return f"events {listed}" + (f" and {len(ids) - shown} more" if len(ids) > shown else "")


def unsealed():
    """Per chain, the events not sealed yet: [{"clinic", "events", "since"}]. A few seconds'
    worth is normal; an older tail means the sealer has not run (`segmenta audit seal`)."""
    found = []
    sealed_by_chain = defaultdict(set)
    for chain, block_runs in AuditBlock.objects.values_list("chain", "runs").iterator():
        sealed_by_chain[chain].update(_expand(block_runs))
    chains = {clinic or 0 for clinic in AuditEvent.objects.order_by().values_list("clinic_id", flat=True).distinct()}
    for chain in sorted(chains):
        sealed = sealed_by_chain.get(chain, set())
        tail = [(event_id, at) for event_id, at in _chain_events(chain).order_by("id").values_list("id", "at").iterator()
                if event_id not in sealed]
        if tail:
            found.append({"clinic": chain or None, "events": len(tail), "since": min(at for _id, at in tail)})
    return found


def anchor():
    """Each chain's head, after sealing every event: a dict to keep outside the database.

    Cutting the newest blocks off leaves no broken link behind; only a copy of the heads kept
    elsewhere shows the trail once reached further (``verify_anchor``).
    """
    seal(sweep=True)
    heads = []
    for chain in sorted(set(AuditBlock.objects.order_by().values_list("chain", flat=True).distinct())):
        head = AuditBlock.objects.filter(chain=chain).order_by("-seq").first()
        heads.append({"clinic": chain or None, "block": head.seq, "hash": head.hash, "events": head.total,
                      "at": head.last_event_at.isoformat()})
    return {"chains": heads, "anchored_at": timezone.now().isoformat()}


def verify_anchor(kept, checked=None):
    """Problems (as sentences) with an anchor ``kept`` from ``anchor()``: an anchored block
    gone or changed. An anchor from before blocks existed (one event as the head of one
    chain) is checked against the events written then. ``checked`` is unused, kept for
    callers of the earlier form."""
    if "chains" not in kept:
        return _verify_linked_anchor(kept)
    problems = []
    for head in kept["chains"]:
        name = _chain_name(head["clinic"] or 0)
        now = AuditBlock.objects.filter(chain=head["clinic"] or 0, seq=head["block"]).values_list("hash", flat=True).first()
        if now is None:
            problems.append(f"{name}: anchored block {head['block']} is missing (the chain was cut back before it)")
        elif now != head["hash"]:
            problems.append(f"{name}: anchored block {head['block']} no longer has the anchored hash "
                            f"(blocks up to it were rewritten)")
    return problems


def _verify_linked_anchor(kept):
    linked = AuditEvent.objects.exclude(prev_hash="")
    problems = []
    if kept["event"] is not None:
        now = linked.filter(id=kept["event"]).values_list("hash", flat=True).first()
        if now is None:
            problems.append(f"anchored event {kept['event']} is missing (the trail was cut back before it)")
        elif now != kept["hash"]:
            problems.append(f"anchored event {kept['event']} no longer has the anchored hash (events up to it were rewritten)")
        else:
            position = linked.filter(id__lte=kept["event"]).count()
            if position != kept["events"]:
                problems.append(f"the trail holds {position} events up to anchored event {kept['event']}, "
                                f"the anchor counted {kept['events']} (events before it were removed or added)")
    count = linked.count()
    if count < kept["events"]:
        problems.append(f"the trail has {count} events, fewer than the {kept['events']} anchored "
                        f"(the newest events were deleted)")
    return problems
