"""Crisis contacts for the patient's thank-you page. Pure Python (no Django).

A clinic's own contacts (one per line) replace the defaults; the defaults come from the
knowledge base (``crisis-contact``) by the clinic's jurisdiction, any US state using
``US`` and anything else or unknown the fallback ``other``. The emergency number of the
jurisdiction is always given.
"""

FALLBACK = "other"


def jurisdiction_key(jurisdiction):
    """DE, AT, CH, ES, US-OR → the knowledge base's entry id (US states → US)."""
    code = (jurisdiction or "").strip().upper()
    return "US" if code.startswith("US-") else code


def default_entry(jurisdiction, entries):
    """The knowledge base's crisis-contact entry for a jurisdiction (``entries`` by id)."""
    return entries.get(jurisdiction_key(jurisdiction)) or entries[FALLBACK]


def contacts_for(jurisdiction, own_text, entries):
    """{"own": [lines], "contacts": [{name, phone, dial}], "emergency", "emergency_dial", "entry"}.

    ``entries`` are the knowledge base's crisis-contact entries by id.
    """
    entry = default_entry(jurisdiction, entries)
    own = [line.strip() for line in (own_text or "").splitlines() if line.strip()]
    contacts = [] if own else [{**c, "dial": _dial(c["phone"])} for c in entry["contacts"]]
    return {"own": own, "contacts": contacts, "emergency": entry["emergency"],
            "emergency_dial": _dial(entry["emergency"]), "entry": entry["id"]}


def _dial(number):
    """The number as a tel: link wants it (no spaces)."""
    return "".join(number.split())
