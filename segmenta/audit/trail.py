"""Writing and checking the audit trail.

Call :func:`record` inside the same transaction as the change it describes: if the
change rolls back, so does its event, and an event never claims something that did not
happen.
"""

import ipaddress

from django.conf import settings
from django.db import connection, transaction
from django.utils.ipv6 import clean_ipv6_address
from django.utils import timezone

from .models import GENESIS_HASH, Action, AuditEvent

# Any constant works: it names the lock that serialises appends on PostgreSQL.
_PG_LOCK_KEY = 0x5E6A_A0D1


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
    try:
        address = ipaddress.ip_address(raw.split("%")[0])
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address) if address.version == 4 else clean_ipv6_address(str(address))


def record(action, *, request=None, user=None, clinic=None, patient=None, obj=None,
           object_type="", object_id="", username=None, detail=None):
    """Append one event to the chain and return it.

    ``user`` defaults to the request's user; ``obj`` fills object type and id;
    ``clinic`` defaults to the patient's clinic.
    """
    if user is None and request is not None and getattr(request, "user", None) is not None:
        user = request.user if request.user.is_authenticated else None
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = object_id or str(obj.pk)
    if clinic is None and patient is not None:
        clinic = patient.clinic
    event = AuditEvent(
        at=timezone.now(),
        user=user,
        username=username if username is not None else (user.get_username() if user else ""),
        clinic=clinic,
        patient=patient,
        action=Action(action),
        object_type=object_type,
        object_id=str(object_id),
        source_ip=client_ip(request),
        detail=_plain(detail or {}),
    )
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
        # On SQLite the IMMEDIATE transaction already holds the database write lock.
        last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
        event.prev_hash = last or GENESIS_HASH
        event.hash = event.compute_hash()
        event.save()
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


def verify(batch_size=2000):
    """Walk the whole chain; return (events_checked, problems).

    A problem is a (event id, description) pair. Reading in id order in batches
    keeps memory flat for long trails.
    """
    problems = []
    prev = GENESIS_HASH
    checked = 0
    last_id = 0
    while True:
        batch = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not batch:
            break
        for event in batch:
            checked += 1
            if event.prev_hash != prev:
                problems.append((event.id, "previous-hash link broken (an event before it was changed or removed)"))
            if event.compute_hash() != event.hash:
                problems.append((event.id, "content does not match its hash (the event was changed)"))
            prev = event.hash
            last_id = event.id
    return checked, problems


def anchor():
    """The chain's head as a small dict to keep outside the database.

    Deleting the newest events leaves no broken link behind; only a copy of the head kept
    elsewhere shows the trail once reached further (``verify_anchor``).
    """
    head = AuditEvent.objects.order_by("-id").first()
    return {
        "event": head.id if head else None,
        "hash": head.hash if head else GENESIS_HASH,
        "events": AuditEvent.objects.count(),
        "at": head.at.isoformat() if head else None,
        "anchored_at": timezone.now().isoformat(),
    }


def verify_anchor(kept, checked):
    """Problems (as sentences) with an anchor ``kept`` from ``anchor()`` against a chain of
    ``checked`` events that ``verify`` walked: its event gone or changed, or fewer events."""
    problems = []
    if kept["event"] is not None:
        now = AuditEvent.objects.filter(id=kept["event"]).values_list("hash", flat=True).first()
        if now is None:
            problems.append(f"anchored event {kept['event']} is missing (the trail was cut back before it)")
        elif now != kept["hash"]:
            problems.append(f"anchored event {kept['event']} no longer has the anchored hash (events up to it were rewritten)")
        else:
            position = AuditEvent.objects.filter(id__lte=kept["event"]).count()
            if position != kept["events"]:
                problems.append(f"the trail holds {position} events up to anchored event {kept['event']}, "
                                f"the anchor counted {kept['events']} (events before it were removed or added)")
    if checked < kept["events"]:
        problems.append(f"the trail has {checked} events, fewer than the {kept['events']} anchored "
                        f"(the newest events were deleted)")
    return problems
