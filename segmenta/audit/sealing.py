"""The arithmetic of sealed blocks, kept apart from Django so a migration can use it too.

An event is inserted with the SHA-256 of its own content and nothing else, so writing it
needs no lock. A sealer later gathers a clinic's unsealed events into a block: the block
lists exactly which event ids it holds (as runs of consecutive ids), a digest over their
ids and hashes, and the hash of the clinic's previous block. Removing or changing a sealed
event changes what the digest would be; removing or rewriting a block breaks the next
block's link; cutting the newest blocks off shows against an anchor kept elsewhere.
"""

import hashlib
import json

GENESIS_HASH = "0" * 64


def runs(ids):
    """Sorted ids as [first, last] runs of consecutive ids: [1, 2, 3, 7] -> [[1, 3], [7, 7]]."""
    result = []
    for event_id in sorted(ids):
        if result and event_id == result[-1][1] + 1:
            result[-1][1] = event_id
        else:
            result.append([event_id, event_id])
    return result


def run_length(block_runs):
    return sum(last - first + 1 for first, last in block_runs)


def digest(pairs):
    """The digest of (id, hash) pairs in id order: a block's events, id by id."""
    h = hashlib.sha256()
    for event_id, event_hash in pairs:
        h.update(f"{event_id}:{event_hash}\n".encode("ascii"))
    return h.hexdigest()


def block_hash(*, chain, seq, prev_hash, block_runs, count, total, event_digest, last_event_at, sealed_at):
    """A block's own hash: everything it states, with the previous block's hash."""
    canonical = json.dumps(
        {"chain": chain, "seq": seq, "prev_hash": prev_hash, "runs": block_runs, "count": count, "total": total,
         "digest": event_digest, "last_event_at": last_event_at, "sealed_at": sealed_at},
        sort_keys=True, separators=(",", ":"), ensure_ascii=True,
    )
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()
