"""The versions of one chart entry as a reader sees them: pure Python, no Django.

A stored version is a snapshot of every field, taken at each save. A save that changed
nothing a clinician sees (only bookkeeping such as "updated at") is not a new version of
the content, so it is left out; what remains is numbered from 1, the original.
"""

CREATED, CHANGED, ENTERED_IN_ERROR, DELETED = "created", "changed", "entered_in_error", "deleted"

# django-simple-history's marks for a snapshot: "+" created, "~" changed, "-" deleted.
_KIND_OF_MARK = {"+": CREATED, "~": CHANGED, "-": DELETED}


def timeline(snapshots, fields, error_field=None):
    """The versions of one entry, oldest first.

    ``snapshots`` are dicts ordered oldest first: ``{"mark": "+"|"~"|"-", "at": …, "by": …,
    "values": {field: value}, "note": …}``; ``fields`` the names whose values are the
    entry's content (the order they are shown in); ``error_field`` the name of the
    "entered in error at" field, if the entry has one (its first setting makes the
    version an "entered in error" one).

    Each version: ``{"number", "kind", "at", "by", "note", "values", "previous",
    "changed"}``, where ``changed`` lists the fields that differ from the version before
    (in ``fields`` order) and ``previous`` holds that version's values (None for the first).
    """
    versions = []
    for snapshot in snapshots:
        values = {name: snapshot["values"].get(name) for name in fields}
        previous = versions[-1]["values"] if versions else None
        kind = _KIND_OF_MARK.get(snapshot["mark"], CHANGED)
        if previous is None:
            changed = []
        else:
            changed = [name for name in fields if values[name] != previous[name]]
            if kind == CHANGED and not changed:
                continue  # saved again without a change: not a new version
            if kind == CHANGED and error_field and previous.get(error_field) is None \
                    and values.get(error_field) is not None:
                kind = ENTERED_IN_ERROR
        versions.append({"number": len(versions) + 1, "kind": kind, "at": snapshot["at"], "by": snapshot["by"],
                         "note": snapshot.get("note") or "", "values": values, "previous": previous,
                         "changed": changed})
    return versions


def last_change(versions):
    """The newest version if the entry was ever changed after it was created, else None."""
    return versions[-1] if len(versions) > 1 else None
