"""The invoice a session proposes, priced by a fee schedule: pure Python, plain data in and out.

In: the session (its date, its injections in the case format or close to it, optionally its
duration in minutes) and one fee schedule with its codes as the knowledge base holds them
(fee_schedules.yaml, fee_codes.yaml). Out::

    {"schedule": "goae", "currency": "EUR", "date": "2026-11-25",
     "lines": [{"code", "description", "quantity", "factor", "amount", "unit_fee", "threshold",
                "ceiling", "is_expense", "justification_required", "verified", "fee_code", "priced"}],
     "total", "warnings": [...]}

Every amount is a Decimal rounded to cents the way the schedule rounds (``to_json`` writes
them as numbers with two decimals). Which code an injection gets, how often it counts and
what it may not be billed with all come from the data; nothing about a schedule is written
here. The practitioner edits the proposal before issuing it, so where the data is unsure the
proposal says so (``verified``, ``warnings``) instead of guessing; a line whose price the data
does not name (``priced`` false) carries an amount of 0 until the practice enters one.

Warnings and refusals are phrases (``segmenta.knowledge.phrases``): each is its English text,
as the API and the command print it, and carries its template and parameters, so that pages
say it in their reader's language.
"""

import json
import math
import re
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from segmenta.knowledge.phrases import Number, Phrase, Words, code as vocabulary_code, gettext_noop, term
from segmenta.treatment import stock

CENT = Decimal("0.01")
ROUNDING = {"half_up": ROUND_HALF_UP}
SIDES = ("left", "right")


class EngineError(ValueError):
    """Input the engine cannot price; ``field`` names where."""

    def __init__(self, field, message):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NoSchedule(EngineError):
    """No shipped fee schedule fits the clinic's jurisdiction and the practitioner's profession."""


def _decimal(value):
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _country(jurisdiction):
    return (jurisdiction or "").split("-")[0]


def schedule_for(schedules, jurisdiction, profession):
    """The fee schedule for a clinic in ``jurisdiction`` (DE, CH, CH-ZH …) and a practitioner
    of ``profession`` (the verified one; None when unknown), or NoSchedule saying why none."""
    if not jurisdiction:
        raise NoSchedule("jurisdiction", Phrase(gettext_noop(
            "the clinic's jurisdiction is not set (Clinic settings), so no fee schedule can be chosen")))
    if not profession:
        raise NoSchedule("profession", Phrase(gettext_noop(
            "the practitioner's profession is not verified by a clinic admin, so no fee schedule can be chosen")))
    for schedule in schedules:
        places = schedule["jurisdictions"]
        if (jurisdiction in places or _country(jurisdiction) in places) and profession in schedule["professions"]:
            return schedule
    offered = "; ".join(f"{s['id']} ({', '.join(s['professions'])} in {', '.join(s['jurisdictions'])})"
                        for s in schedules)
    raise NoSchedule("schedule", Phrase(gettext_noop("no fee schedule for a %(profession)s in %(jurisdiction)s; "
                                                     "Segmenta has %(offered)s"),
                                        profession=vocabulary_code("profession", profession, english=profession),
                                        jurisdiction=jurisdiction, offered=offered))


def _areas(injection):
    """The areas an injection treats: (region, side) per region, a side "both" as two; an
    injection without a region counts by its target and side."""
    found = []
    for region in injection.get("regions") or []:
        name = region.get("region") or f"choir:{region.get('choir')}"
        side = region.get("side") or injection.get("side") or ""
        found += [(name, s) for s in SIDES] if side == "both" else [(name, side)]
    if not found:
        side = injection.get("side") or ""
        found = [(injection["target"], s) for s in SIDES] if side == "both" else [(injection["target"], side)]
    return found


def _area_text(area):
    region, side = area
    return f"{region.replace('_', ' ')}, {side}" if side else region.replace("_", " ")


class _Pricer:
    """One schedule's prices: a unit fee per code, the factor rules, rounding."""

    def __init__(self, schedule, factors, amounts, rate):
        self.schedule = schedule
        self.rounding = ROUNDING[schedule["rounding"]]
        self.factors = {str(k): _decimal(v) for k, v in (factors or {}).items()}
        self.amounts = {str(k): _decimal(v) for k, v in (amounts or {}).items()}
        rate = rate if rate is not None else schedule.get("rate_per_unit")
        self.rate = _decimal(rate) if rate is not None else None

    def cents(self, value):
        return value.quantize(CENT, rounding=self.rounding)

    def rank(self, code):
        """How much a code is worth, to decide which of two excluded codes to keep."""
        if "points" in code:
            return _decimal(code["points"])
        default = (code.get("amount") or {}).get("default")
        return _decimal(default) if default is not None else Decimal(0)

    def factor(self, code):
        """(factor, threshold, ceiling) of a code priced by points; the factor given for it or
        the schedule's default, refused outside the schedule's range."""
        rules = self.schedule["factor"]
        low, threshold, high = (_decimal(rules[k]) for k in ("min", "threshold", "max"))
        factor = self.factors.get(code["code"], _decimal(rules["default"]))
        if not low <= factor <= high:
            raise EngineError(f"factors.{code['code']}", _outside(factor, low, high, "schedule"))
        return factor, threshold, high

    def amount(self, code, warnings):
        """The fee of one unit of a code priced by amount: the amount given, else the code's default."""
        given = self.amounts.get(code["code"])
        bounds = code.get("amount") or {}
        low, high = bounds.get("min"), bounds.get("max")
        if given is not None:
            if given < 0 or (low is not None and given < _decimal(low)) or (high is not None and given > _decimal(high)):
                raise EngineError(f"amounts.{code['code']}", _outside(given, low, high, "code"))
            return self.cents(given)
        if bounds.get("default") is None:
            warnings.append(Phrase(gettext_noop("%(code)s: the schedule's data has no amount for it; enter the "
                                                "practice's fee before issuing"), code=code["code"]))
            return Decimal("0.00")
        return self.cents(_decimal(bounds["default"]))


def _outside(value, low, high, whose):
    """The refusal of a factor or amount outside its range (``whose``: "schedule" or "code")."""
    template = (gettext_noop("%(value)s lies outside the schedule's range %(low)s–%(high)s") if whose == "schedule"
                else gettext_noop("%(value)s lies outside the code's range %(low)s–%(high)s"))
    return Phrase(template, value=_number(value), low=_number(low), high=_number(high))


def _number(value):
    """A number as the engine has always written it in English (2.3, 5.82873) and as the
    reader's language writes it elsewhere."""
    if value is None:
        return "None"
    exponent = _decimal(value).as_tuple().exponent
    return Number(float(value), places=max(0, -exponent), english=str(value))


def _line(code, description, quantity, unit_fee, unit_amount, *, factor=None, threshold=None, ceiling=None,
          priced=True):
    return {"code": code["code"], "description": description, "quantity": quantity, "factor": factor,
            "amount": unit_amount * quantity, "unit_fee": unit_fee, "threshold": threshold, "ceiling": ceiling,
            "is_expense": code["kind"] == "expense",
            "justification_required": factor is not None and threshold is not None and factor > threshold,
            # An amount still to be entered (priced false) was read in no source, whatever the code's own status.
            "verified": bool(code["verified"]) and priced, "fee_code": code["id"], "priced": priced}


def _drop_excluded(items, by_code, pricer, warnings):
    """Remove the lower fee of every pair the schedule forbids together; say which and why."""
    dropped = {}
    for code_id in list(items):
        code = by_code[code_id]
        for rule in code.get("not_with", []):
            other = next((c for c in by_code.values() if c["code"] == rule["code"]), None)
            if other is None or other["id"] not in items or code_id not in items:
                continue
            mine, theirs = items[code_id], items[other["id"]]
            shared = set(mine) & set(theirs) if rule["scope"] == "same_area" else set(mine)
            if not shared:
                continue
            loser, keeper = (code, other) if pricer.rank(code) <= pricer.rank(other) else (other, code)
            lost = shared if rule["scope"] == "same_area" else set(items[loser["id"]])
            for area in sorted(lost):
                items[loser["id"]].pop(area, None)
            dropped.setdefault(loser["id"], []).append((keeper, sorted(lost), rule["scope"]))
            if not items[loser["id"]]:
                del items[loser["id"]]
    for loser_id, reasons in dropped.items():
        loser = by_code[loser_id]
        for keeper, areas, scope in reasons:
            where = "; ".join(_area_text(a) for a in areas)
            if loser_id not in items:
                template = (gettext_noop("Line %(code)s dropped: it may not be billed beside %(keeper)s for the same "
                                         "area (%(areas)s); %(keeper)s, the higher fee, is kept")
                            if scope == "same_area" else
                            gettext_noop("Line %(code)s dropped: it may not be billed beside %(keeper)s in the same "
                                         "session (%(areas)s); %(keeper)s, the higher fee, is kept"))
            else:
                template = (gettext_noop("%(code)s does not cover %(areas)s: it may not be billed beside %(keeper)s "
                                         "for the same area (%(areas)s); %(keeper)s, the higher fee, is kept")
                            if scope == "same_area" else
                            gettext_noop("%(code)s does not cover %(areas)s: it may not be billed beside %(keeper)s "
                                         "in the same session (%(areas)s); %(keeper)s, the higher fee, is kept"))
            warnings.append(Phrase(template, code=loser["code"], keeper=keeper["code"], areas=where))


def _note(code):
    """A code's note in every language the knowledge base gives it (its English alone when the
    entry is plain data without translations)."""
    return term(code, "note") if code.get("i18n") else Words({"en": code["note"]})


def _duration_units(session, schedule, warnings):
    minutes = session.get("duration_minutes")
    unit = schedule["time_unit_minutes"]
    if minutes is None:
        times = sorted(i["time"] for i in session.get("injections", []) if i.get("time"))
        span = (datetime.fromisoformat(times[-1]) - datetime.fromisoformat(times[0])).total_seconds() / 60 \
            if times else 0
        minutes = max(span, unit)
        warnings.append(Phrase(gettext_noop("The session's duration is not recorded; %(minutes)s minutes were "
                                            "estimated from the injection times: adjust the time units before "
                                            "issuing"), minutes=math.ceil(minutes / unit) * unit))
    elif minutes <= 0:
        raise EngineError("duration_minutes", Phrase(gettext_noop("must be more than 0")))
    return math.ceil(_decimal(minutes) / unit)


def _expense_lines(session, schedule, codes, pricer, warnings):
    """The drug or product used: one line per product (or drug and strength where no product
    is named), charged at what the practice paid for the units the session used up.

    The units are those the stock counts (``segmenta.treatment.stock.units_drawn``): a
    single-dose ampoule is opened for this patient and the rest thrown away, so the session
    pays whole ampoules per lot; a multi-dose vial goes on to the next patient, so the
    session pays its share of the volume. Where the volume per unit is unknown one unit is
    counted, and the warning says so."""
    code = codes.get(schedule["expenses"])
    if code is None:
        return []
    used = {}
    for index, injection in enumerate(session.get("injections", [])):
        product = injection.get("product") or {}
        strength = injection.get("concentration_percent")
        name = product.get("name") or " ".join(
            str(part) for part in (injection.get("drug", "drug"), strength, "%" if strength is not None else None)
            if part is not None)
        volume = _decimal(injection.get("volume_ml") or 0)
        if volume < 0:
            raise EngineError(f"injections[{index}].volume_ml", Phrase(gettext_noop("must not be negative")))
        entry = used.setdefault(name, {"volume": Decimal(0), "lots": {}, "product": product})
        entry["volume"] += volume
        # Each lot is opened on its own: ampoules of two lots in one session are counted apart.
        lot = product.get("lot") or ""
        entry["lots"][lot] = entry["lots"].get(lot, Decimal(0)) + volume
    lines = []
    for name, entry in used.items():
        product = entry["product"]
        unit_volume = product.get("unit_volume_ml")
        units = (stock.units_drawn(bool(product.get("multi_dose")), unit_volume, entry["lots"].values())
                 if unit_volume else None)
        price = product.get("unit_price")
        if price is not None and _decimal(price) < 0:
            raise EngineError("product.unit_price", Phrase(gettext_noop("must not be negative")))
        whole = units is None or units == units.to_integral_value()
        quantity = max(1, int(units or 0)) if whole else 1
        if price is None:
            warnings.append(Phrase(gettext_noop("%(code)s %(product)s: no price recorded for the product; enter "
                                                "what it cost before issuing"), code=code["code"], product=name))
            unit_amount = Decimal("0.00")
        elif whole:  # whole ampoules or vials: the quantity at the unit's price
            unit_amount = pricer.cents(_decimal(price))
            if units is None:
                warnings.append(Phrase(gettext_noop("%(code)s %(product)s: the product's volume per unit is not "
                                                    "recorded, so one unit was charged; check the quantity before "
                                                    "issuing"), code=code["code"], product=name))
        else:  # part of a multi-dose vial: one line at its share of the price
            unit_amount = pricer.cents(_decimal(price) * units)
        volume = format(entry["volume"].normalize(), "f")
        share = "" if whole else (f", {format(units.quantize(Decimal('0.001')).normalize(), 'f')} of a "
                                  f"{format(_decimal(unit_volume).normalize(), 'f')} mL vial")
        numbers = [lot for lot in entry["lots"] if lot]
        lots = f", lot {', '.join(numbers)}" if numbers else ""
        description = f"{code['name']}: {name}, {volume} mL{share}{lots}"
        line = _line(code, description, quantity, unit_amount, unit_amount, priced=price is not None)
        # What was used, as data, for an invoice to name in its own language (§12 (2) GOÄ
        # asks for the kind of each expense).
        line["item"] = {"product": name, "volume_ml": volume, "lots": numbers,
                        "share": None if whole else format(units.quantize(Decimal("0.001")).normalize(), "f"),
                        "unit_volume_ml": None if whole else format(_decimal(unit_volume).normalize(), "f")}
        lines.append(line)
    return lines


def propose(session, schedule, codes, *, factors=None, amounts=None, rate=None):
    """The proposed invoice of ``session`` under ``schedule`` (a fee-schedule entry) with its
    ``codes`` (fee-code entries; others are ignored). ``factors`` ({code: factor}) and
    ``amounts`` ({code: amount}) change a code's default; ``rate`` the price per time unit."""
    by_code = {c["id"]: c for c in codes if c["schedule"] == schedule["id"]}
    services = [c for c in by_code.values() if c["kind"] == "service"]
    pricer = _Pricer(schedule, factors, amounts, rate)
    warnings = []
    items = {}  # fee-code id -> {area: [injection indexes]}
    unbilled = []
    for index, injection in enumerate(session.get("injections", [])):
        target = injection.get("target")
        if not target:
            raise EngineError(f"injections[{index}].target", Phrase(gettext_noop("is missing")))
        code = next((c for c in services if target in c["targets"]), None)
        if code is None:
            if target not in unbilled:
                unbilled.append(target)
            continue
        for area in _areas(injection):
            items.setdefault(code["id"], {}).setdefault(area, []).append(index)
    for target in unbilled:
        warnings.append(Phrase(gettext_noop("No %(schedule)s code for the injection target %(target)s: bill it by "
                                            "hand (e.g. by analogy) or leave it out"),
                               schedule=schedule["id"], target=vocabulary_code("injection_target", target)))
    _drop_excluded(items, by_code, pricer, warnings)

    lines = []
    for code_id, areas in items.items():
        code = by_code[code_id]
        if code.get("several_areas_code") and len(areas) > 1:
            code = next(c for c in by_code.values() if c["code"] == code["several_areas_code"])
        quantity = {"per_session": 1, "per_area": len(areas)}.get(code["quantity"])
        if schedule["pricing"] == "points":
            factor, threshold, ceiling = pricer.factor(code)
            base = _decimal(code["points"]) * _decimal(schedule["point_value"])
            line = _line(code, code["name"], quantity, base.quantize(Decimal("0.0001"), rounding=pricer.rounding),
                         pricer.cents(base * factor), factor=factor, threshold=threshold, ceiling=ceiling)
            if line["justification_required"]:
                warnings.append(Phrase(gettext_noop("%(code)s: factor %(factor)s is above the threshold "
                                                    "%(threshold)s; the invoice must give a written justification "
                                                    "for it"), code=code["code"], factor=_number(factor),
                                       threshold=_number(threshold)))
        elif schedule["pricing"] == "amount":
            unit_amount = pricer.amount(code, warnings)
            priced = code["code"] in pricer.amounts or (code.get("amount") or {}).get("default") is not None
            line = _line(code, code["name"], quantity, unit_amount, unit_amount, priced=priced)
        else:
            quantity = _duration_units(session, schedule, warnings)
            if pricer.rate is None:
                warnings.append(Phrase(gettext_noop("%(code)s: the practice's price per %(minutes)s minutes is not "
                                                    "set; enter it before issuing"),
                                       code=code["code"], minutes=schedule["time_unit_minutes"]))
            unit_amount = pricer.cents(pricer.rate) if pricer.rate is not None else Decimal("0.00")
            line = _line(code, code["name"], quantity, unit_amount, unit_amount, priced=pricer.rate is not None)
        if not code["verified"]:
            warnings.append(Phrase(gettext_noop("%(code)s: not every detail of this code could be verified "
                                                "(%(note)s)"), code=code["code"], note=_note(code)))
        lines.append(line)
    lines.sort(key=lambda line: line["fee_code"])
    if lines:
        lines += _expense_lines(session, schedule, by_code, pricer, warnings)
    total = sum((line["amount"] for line in lines), Decimal("0.00"))
    return {"schedule": schedule["id"], "currency": schedule["currency"], "date": session.get("date"),
            "lines": lines, "total": total, "warnings": warnings}


_NUMBER = re.compile(r'"@number:(-?[0-9]+\.[0-9]+)@"')


def _plain(value):
    if isinstance(value, Decimal):
        places = 4 if value.as_tuple().exponent < -2 else 2
        return f"@number:{value.quantize(Decimal(1).scaleb(-places))}@"
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def to_json(proposal, indent=2):
    """The proposal as JSON, every amount a number with two decimals (a unit fee with four),
    as the API and `segmenta invoice propose` both write it."""
    text = json.dumps(_plain(proposal), indent=indent, ensure_ascii=False)
    return _NUMBER.sub(r"\1", text)
