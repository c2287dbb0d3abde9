"""The stock rules as plain arithmetic: what an injection uses up, what is left on the shelf,
which lot to propose and which lots need attention. No Django here: the shell
(``segmenta.treatment.stockroom``) reads the database and hands plain numbers and dates in.

Counting is in units, the ampoules or vials a pack holds:

- A single-dose ampoule is opened for one patient and whatever is left in it is thrown
  away (it holds no preservative and must not be kept). So a session draws whole
  ampoules: its injections from one lot, added up, use ceil(total volume / unit volume)
  ampoules. Two 0.5 mL wheals from a 2 mL ampoule are one ampoule, not a quarter each;
  counting by volume would show ampoules on the shelf that were in the bin.
- A multi-dose vial is kept after opening and drawn again for the next patient, so it
  is drawn by volume: 5 mL from a 50 mL vial is a tenth of a vial. What an opened vial
  still holds when its in-use time has passed is written off (``write-off``), which is
  also where broken and expired units leave the count.

The balance is computed, never stored: received − drawn − written off. A mistaken
injection removed from a draft gives its units back by itself, and no counter can drift
from the injections it should agree with.
"""

from datetime import timedelta
from decimal import ROUND_CEILING, Decimal

# How far ahead the stock list warns of expiry. Not a clinical fact: a working horizon so
# that a lot can still be used up, or exchanged with the supplier, before it expires. Two
# months is about one reorder cycle of a small practice and covers a 6–12 session course
# started today.
EXPIRING_WITHIN_DAYS = 60


# The spaces a lot number is compared without: those a pack, a supplier's PDF or a
# spreadsheet bring along (tab, line breaks, no-break and thin spaces, a zero-width space).
# The database compares without exactly these (``stockroom.lot_key_of``): the same set on
# both sides, or a recall misses an injection whose lot was pasted.
LOT_NUMBER_SPACES = (" ", "\t", "\n", "\r", "\u00a0", "\u2007", "\u2009", "\u202f", "\u200b", "\u3000")


def lot_key(number):
    """A lot number as it is compared: upper case, without spaces. "ab 123 " on a pack, in a
    delivery or typed on an injection is lot AB123; a recall must not miss it for a space."""
    number = number or ""
    for space in LOT_NUMBER_SPACES:
        number = number.replace(space, "")
    return number.upper()


def units_drawn(multi_dose, unit_volume_ml, session_volumes_ml):
    """Units a lot has given: ``session_volumes_ml`` is the total volume of each session's
    injections from the lot (one number per session)."""
    unit = Decimal(str(unit_volume_ml))
    total = Decimal(0)
    for volume in session_volumes_ml:
        volume = Decimal(str(volume))
        if multi_dose:
            total += volume / unit
        else:
            total += (volume / unit).to_integral_value(rounding=ROUND_CEILING)
    return total


def units_needed(multi_dose, unit_volume_ml, session_before_ml, adding_ml):
    """Units one more injection of ``adding_ml`` takes from a lot, after the session has
    already drawn ``session_before_ml`` from it (an ampoule already open in this session
    may still hold enough)."""
    before = units_drawn(multi_dose, unit_volume_ml, [session_before_ml] if session_before_ml else [])
    after = units_drawn(multi_dose, unit_volume_ml, [Decimal(str(session_before_ml or 0)) + Decimal(str(adding_ml))])
    return after - before


def on_hand(received, drawn, written_off):
    """What is left of a lot, in units (a multi-dose vial may be partly used)."""
    return Decimal(received) - Decimal(drawn) - Decimal(written_off)


def shelf_state(expiry, today, within_days=EXPIRING_WITHIN_DAYS):
    """"expired" (its expiry day has passed), "expiring" (within ``within_days``), or "ok".
    A lot may still be used on its expiry day, as the safety check reads it."""
    if expiry < today:
        return "expired"
    if expiry <= today + timedelta(days=within_days):
        return "expiring"
    return "ok"


def proposed(lots, today):
    """The lot to draw from next: of those in stock and not expired, the one expiring first
    (first expiry, first out), ties by the earlier receipt. ``lots``: dicts with ``expiry``,
    ``on_hand`` and ``received_on``; returns one of them or None."""
    usable = [lot for lot in lots if lot["on_hand"] > 0 and lot["expiry"] >= today]
    return min(usable, key=lambda lot: (lot["expiry"], lot["received_on"]), default=None)


def low(total_on_hand, threshold):
    """Below the product's low-stock threshold (no threshold: never low)."""
    return threshold is not None and Decimal(total_on_hand) < Decimal(threshold)


def shown(units):
    """A quantity as people read it: 12 for whole units, 3.4 for part of a vial."""
    units = Decimal(units)
    return units.to_integral_value() if units == units.to_integral_value() else units.quantize(Decimal("0.1"))
