"""The invoice's own rules as plain Python (no Django): a line's amount, what must be
justified before issuing, totals, numbers, where a payment leaves an invoice, and which
reminder comes next. The fee facts (point values, threshold factors) come from the
knowledge base's fee schedules and reach here as plain numbers on each line."""

import datetime
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
LAST_REMINDER_LEVEL = 3  # a first, a second and a last reminder; then it is a matter for a collector


def cents(value):
    """``value`` rounded to whole cents, from half a cent up."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def line_amount(unit_fee, factor, quantity):
    """The amount of a line: the fee at its factor, rounded to cents, times the quantity
    (the GOÄ rounds each single fee); an expense (no factor) is its price times the quantity."""
    single = cents(Decimal(unit_fee) * Decimal(factor)) if factor is not None else cents(unit_fee)
    return single * int(quantity)


@dataclass(frozen=True)
class LineProblem:
    position: int
    code: str
    problem: str  # "justification" or "ceiling"
    factor: Decimal
    limit: Decimal


def problems(lines):
    """What stands in the way of issuing, line by line: a factor above the threshold without a
    written justification, or above the highest factor. ``lines``: dicts or objects with
    position, code, factor, threshold, ceiling and justification."""
    found = []
    for line in lines:
        get = line.get if isinstance(line, dict) else lambda name, _line=line: getattr(_line, name)
        factor, threshold, ceiling = get("factor"), get("threshold"), get("ceiling")
        if factor is None:
            continue
        if ceiling is not None and Decimal(factor) > Decimal(ceiling):
            found.append(LineProblem(get("position"), get("code"), "ceiling", Decimal(factor), Decimal(ceiling)))
        elif threshold is not None and Decimal(factor) > Decimal(threshold) and not (get("justification") or "").strip():
            found.append(LineProblem(get("position"), get("code"), "justification", Decimal(factor),
                                     Decimal(threshold)))
    return found


def totals(amounts, vat_rate=Decimal("0")):
    """(net, VAT, gross) of the lines' amounts. Medical care is exempt (rate 0)."""
    net = sum((Decimal(a) for a in amounts), Decimal("0.00"))
    vat = cents(net * Decimal(vat_rate) / 100)
    return cents(net), vat, cents(net + vat)


def invoice_number(prefix, year, sequence):
    """The printed number: the clinic's prefix, the year and the sequence within it (2026-000123)."""
    return f"{prefix}{year}-{sequence:06d}"


OPEN, PARTLY_PAID, PAID, OVERDUE = "open", "partly_paid", "paid", "overdue"


def payment_state(total, paid, due_date, today):
    """Where an issued invoice stands: paid once payments reach its total; overdue when not
    paid after its due date; otherwise open or partly paid."""
    total, paid = Decimal(total), Decimal(paid)
    if paid >= total:
        return PAID
    if due_date is not None and today > due_date:
        return OVERDUE
    return PARTLY_PAID if paid > 0 else OPEN


def next_reminder(levels_sent, state):
    """The level of the next reminder for an invoice in ``state`` that has had the reminders
    ``levels_sent``, or None when none is due (not overdue, or the last one sent)."""
    if state != OVERDUE:
        return None
    level = max(levels_sent, default=0) + 1
    return level if level <= LAST_REMINDER_LEVEL else None


def due(issued_on, days):
    return issued_on + datetime.timedelta(days=days)


# The officially assigned codes of ISO 3166-1 alpha-2, which EN 16931 takes for a country
# (BT-40, BT-55): two letters alone are no country ("XX", "DD" are refused).
_COUNTRY_CODES = frozenset("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV
BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES
ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE
IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY
MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU
NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM
SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE
VG VI VN VU WF WS YE YT ZA ZM ZW
""".split())
# A country as the last line of an address names it, in the languages Segmenta speaks, for
# the countries a practice in Germany, Austria or Switzerland bills most; a code stands for
# itself. Anything else is no country (the clinic's is taken).
_COUNTRY_NAMES = {
    "DE": ("germany", "deutschland", "alemania"), "AT": ("austria", "österreich", "oesterreich"),
    "CH": ("switzerland", "schweiz", "suiza", "suisse", "svizzera"), "LI": ("liechtenstein",),
    "FR": ("france", "frankreich", "francia"), "IT": ("italy", "italien", "italia"),
    "ES": ("spain", "spanien", "españa", "espana"), "NL": ("netherlands", "niederlande", "países bajos"),
    "BE": ("belgium", "belgien", "bélgica"), "LU": ("luxembourg", "luxemburg", "luxemburgo"),
    "DK": ("denmark", "dänemark", "dinamarca"), "PL": ("poland", "polen", "polonia"),
    "CZ": ("czechia", "czech republic", "tschechien", "chequia"), "PT": ("portugal",),
    "GB": ("united kingdom", "großbritannien", "vereinigtes königreich", "reino unido"),
}
_BY_NAME = {name: code for code, names in _COUNTRY_NAMES.items() for name in names}
# "CH-8001 Zürich", "A-1010 Wien", "D-10115 Berlin": the old postal prefixes.
_POSTAL_PREFIX = {"D": "DE", "A": "AT", "CH": "CH", "FL": "LI", "F": "FR", "I": "IT", "E": "ES", "L": "LU"}


def is_country_code(value):
    return value in _COUNTRY_CODES


def country_of_address(address):
    """The ISO country an address names on its last line (a country's name or code, or a
    postal prefix such as CH-8001), or None when it names none."""
    lines = [line.strip() for line in (address or "").splitlines() if line.strip()]
    if not lines:
        return None
    last = lines[-1]
    if is_country_code(last):
        return last
    if last.lower() in _BY_NAME:
        return _BY_NAME[last.lower()]
    prefix = re.match(r"^([A-Z]{1,2})-\d", last)
    return _POSTAL_PREFIX.get(prefix.group(1)) if prefix else None
