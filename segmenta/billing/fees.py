"""What an invoice reads from the knowledge base's fee schedules (fee_schedules.yaml and
fee_codes.yaml, with the clinic's overrides): a schedule's factor limits and the codes a
draft's line can be added from, each with its simple fee."""

from decimal import Decimal

from segmenta.knowledge import localize
from segmenta.knowledge.service import for_clinic


def _decimal(value):
    return None if value is None else Decimal(str(value))


def _kb(clinic):
    return for_clinic(clinic)


def schedule(clinic, schedule_id):
    kb = _kb(clinic)
    if not schedule_id or "fee-schedule" not in kb.kinds():
        return None
    return kb.get("fee-schedule", schedule_id)


def factor_limits(clinic, schedule_id):
    """(threshold, highest factor, default factor) of the schedule, or Nones where it has no factor."""
    found = schedule(clinic, schedule_id) or {}
    factor = found.get("factor") or {}
    return _decimal(factor.get("threshold")), _decimal(factor.get("max")), _decimal(factor.get("default"))


def vat_exemption_note(clinic, schedule_id, lang=None):
    """The schedule's words for why its services carry no VAT, in ``lang`` (else the active
    language); "" where there is no schedule."""
    return localize.text(schedule(clinic, schedule_id), "vat_exemption_note", lang)


def simple_fee(clinic, schedule_id, entry):
    """A code's fee at factor 1 (points × point value), its default amount, or None when the
    data names no price (the practice enters it, e.g. an expense)."""
    found = schedule(clinic, schedule_id) or {}
    if entry.get("points") and found.get("point_value"):
        return Decimal(entry["points"]) * _decimal(found["point_value"])
    return _decimal((entry.get("amount") or {}).get("default"))


def code(clinic, code_id):
    """A fee code's entry by its id (goae.267), or None."""
    kb = _kb(clinic)
    if not code_id or "fee-code" not in kb.kinds():
        return None
    return kb.get("fee-code", code_id)


def describe(entry, lang):
    """What a line calls a code: the schedule's own (German) wording on a German invoice where
    it was read, else the code's name in the invoice's language."""
    if localize.language(lang) == "de" and entry.get("wording"):
        return entry["wording"]
    return localize.text(entry, "name", lang) or entry.get("code", "")


def entries(clinic, schedule_id):
    """The schedule's fee-code entries as the knowledge base holds them (with the clinic's overrides)."""
    kb = _kb(clinic)
    if not schedule_id or "fee-code" not in kb.kinds():
        return []
    return [entry for entry in kb.all("fee-code") if entry.get("schedule") == schedule_id]


def codes(clinic, schedule_id):
    """The schedule's codes a line can be added from, in the active language: [{"id", "code",
    "description", "unit_fee" (None: to be entered), "is_expense", "verified"}]."""
    found = []
    for entry in entries(clinic, schedule_id):
        found.append({"id": entry["id"], "code": entry["code"],
                      "description": describe(entry, None),
                      "unit_fee": simple_fee(clinic, schedule_id, entry),
                      "is_expense": entry.get("kind") == "expense", "verified": bool(entry.get("verified"))})
    return sorted(found, key=lambda c: (c["is_expense"], c["code"]))
