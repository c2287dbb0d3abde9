"""Scoring questionnaires and series of scores.

Pure Python (no Django). Instruments are FHIR R4 Questionnaire resources in
``instruments/``; each declares its scoring rule in a Segmenta extension. Bands,
important changes and single-answer alerts come from the knowledge base
(``instrument-threshold``).
"""

import json
import math
from functools import cache
from pathlib import Path

from segmenta.knowledge.base import load

INSTRUMENT_DIR = Path(__file__).resolve().parent / "instruments"
SCORING_URL = "https://segmenta.example/fhir/StructureDefinition/scoring"
ORDINAL_URL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"


class ScoreError(ValueError):
    """Invalid answers; the message names the item."""


@cache
def instruments():
    found = {}
    for path in sorted(INSTRUMENT_DIR.glob("*.json")):
        resource = json.loads(path.read_text(encoding="utf-8"))
        found[resource["id"]] = resource
    return found


def instrument(instrument_id, extra=None):
    """A shipped instrument, or one of ``extra`` (a clinic's own, imported under licence)."""
    available = {**instruments(), **(extra or {})}
    try:
        return available[instrument_id]
    except KeyError:
        raise ScoreError(f"INSTRUMENT: unknown instrument {instrument_id!r} "
                         f"(one of {', '.join(sorted(available))})") from None


def check_instrument(resource):
    """Problems that keep an imported Questionnaire from being scored: [] when usable."""
    from fhir.resources.R4B.questionnaire import Questionnaire
    from pydantic import ValidationError

    try:
        Questionnaire.model_validate(resource)
    except (ValidationError, TypeError, ValueError) as error:
        first = error.errors()[0] if hasattr(error, "errors") else {"loc": (), "msg": str(error)}
        return [f"not a FHIR R4 Questionnaire: {'.'.join(map(str, first['loc']))}: {first['msg']}"]
    problems = []
    if not resource.get("id"):
        problems.append("id: every instrument needs an id")
    try:
        scoring = rule(resource)
    except (ScoreError, ValueError, KeyError):
        return problems + [f"extension: declare a scoring rule ({SCORING_URL})"]
    items = scored_items(resource)
    if not items:
        problems.append("item: nothing to score")
    if scoring.get("total") not in ("sum", "mean", "item"):
        problems.append("scoring rule: total must be sum, mean or item")
    for item in items:
        if item["type"] == "choice":
            try:
                _options(item)
            except (KeyError, StopIteration):
                problems.append(f"item {item['linkId']}: every answer option needs an ordinalValue")
        elif item["type"] == "integer" and None in _bounds(item):
            problems.append(f"item {item['linkId']}: give minValue and maxValue")
    for band in scoring.get("bands", []):
        if not isinstance(band, dict) or not {"min", "band"} <= set(band):
            problems.append("scoring rule: each band needs min and band")
    return problems


def rule(resource):
    for extension in resource.get("extension", []):
        if extension["url"] == SCORING_URL:
            return json.loads(extension["valueString"])
    raise ScoreError(f"{resource['id']}: declares no scoring rule")


def scored_items(resource):
    """The answerable items in order, groups flattened."""
    out = []

    def walk(items):
        for item in items:
            if item["type"] == "group":
                walk(item.get("item", []))
            elif item["type"] in ("integer", "choice", "decimal"):
                out.append(item)
    walk(resource["item"])
    return out


def _bounds(item):
    lo = hi = None
    for extension in item.get("extension", []):
        if extension["url"].endswith("/minValue"):
            lo = extension["valueInteger"]
        if extension["url"].endswith("/maxValue"):
            hi = extension["valueInteger"]
    return lo, hi


def _options(item):
    return {o["valueCoding"]["code"]: next(e["valueDecimal"] for e in o["valueCoding"]["extension"]
                                           if e["url"] == ORDINAL_URL)
            for o in item["answerOption"]}


def answers_from(data, resource):
    """{linkId: value} from ``{"answers": [...]}`` in item order, or a QuestionnaireResponse."""
    items = scored_items(resource)
    if isinstance(data, dict) and data.get("resourceType") == "QuestionnaireResponse":
        found = {}

        def walk(entries):
            for entry in entries:
                if entry.get("answer"):
                    answer = entry["answer"][0]
                    value = next((answer[k] for k in ("valueInteger", "valueDecimal") if k in answer), None)
                    if value is None and "valueCoding" in answer:
                        value = answer["valueCoding"].get("code")
                    found[entry["linkId"]] = value
                walk(entry.get("item", []))
        walk(data.get("item", []))
        return found
    if not isinstance(data, dict) or not isinstance(data.get("answers"), list):
        raise ScoreError('FILE: expected {"answers": [...]} or a FHIR QuestionnaireResponse')
    answers = data["answers"]
    if len(answers) > len(items):
        raise ScoreError(f"answers: {len(answers)} answers for {len(items)} items")
    return {item["linkId"]: value for item, value in zip(items, answers)}


def _value(item, value):
    """The numeric value of one answer, checked against the item's range or options."""
    link = item["linkId"]
    if item["type"] == "choice":
        options = _options(item)
        if isinstance(value, str) and value in options:
            return options[value]
        ordinals = {v: v for v in options.values()}
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value in ordinals:
            return value
        raise ScoreError(f"item {link}: {value!r} is not one of {', '.join(options)} "
                         f"(or {', '.join(f'{v:g}' for v in options.values())})")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (
            item["type"] == "integer" and value != int(value)):
        raise ScoreError(f"item {link}: {value!r} is not a whole number")
    lo, hi = _bounds(item)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ScoreError(f"item {link}: {value:g} is out of range {lo}–{hi}")
    return value


def _thresholds(instrument_id):
    """The knowledge base's bands and important changes (an imported instrument may have none)."""
    return load().get("instrument-threshold", instrument_id) or {}


def score(instrument_id, data, extra=None):
    resource = instrument(instrument_id, extra)
    scoring = rule(resource)
    items = scored_items(resource)
    answers = answers_from(data, resource)
    values = {}
    for item in items:
        value = answers.get(item["linkId"])
        if value is None:
            if item.get("required"):
                raise ScoreError(f"item {item['linkId']}: missing")
            continue
        values[item["linkId"]] = _value(item, value)
    thresholds = _thresholds(instrument_id)
    result = {"instrument": instrument_id, "items": values}
    if scoring["total"] == "item":
        total = values[scoring["item"]]
    elif scoring["total"] == "mean":
        scores = [values[i] for i in scoring["items"] if i in values]
        if len(scores) < scoring.get("min_answers", 1):
            raise ScoreError(f"item {scoring['items'][0]}: missing")
        total = round(sum(scores) / len(scores), 2)
    else:
        total = sum(values.values())
    result["total"] = total
    result["band"] = None
    if scoring.get("bands"):  # an imported instrument's own bands
        result["band"] = next((b["band"] for b in sorted(scoring["bands"], key=lambda b: -b["min"])
                               if total >= b["min"]), None)
    elif scoring.get("band") == "thresholds":
        result["band"] = next(b["band"] for b in sorted(thresholds["bands"], key=lambda b: -b["min"])
                              if total >= b["min"])
    elif scoring.get("band") == "category":
        item = items[0]
        code = next(c for c, v in _options(item).items() if v == total)
        result["band"] = code
        result["responder"] = code in scoring["responder_categories"]
    result["alerts"] = alerts(thresholds.get("alerts", []), values)
    return result


def alerts(rules, values):
    """The alerts that single answers raise, whatever the total: [{code, message}].

    ``rules`` come from the knowledge base (an instrument's ``alerts``): an answer to
    ``item`` above ``above`` raises ``code``. An item a rule needs must be answered:
    unknown is not "no risk", so its absence is an error naming the item.
    """
    found = []
    for alert_rule in rules:
        value = values.get(alert_rule["item"])
        if value is None:
            raise ScoreError(f"item {alert_rule['item']}: missing (needed for the {alert_rule['code']} alert)")
        if value > alert_rule["above"]:
            found.append({"code": alert_rule["code"], "message": alert_rule["message"]})
    return found


def series(instrument_id, data, extra=None):
    """Change from the first to the last value; reductions count as improvement."""
    if not isinstance(data, dict) or not isinstance(data.get("values"), list) or len(data["values"]) < 2:
        raise ScoreError('values: give {"values": [baseline, …, latest]} with at least two numbers')
    resource = instrument(instrument_id, extra)
    scoring = rule(resource)
    lo, hi = scoring.get("min"), scoring.get("max")
    for index, value in enumerate(data["values"]):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ScoreError(f"values[{index}]: {value!r} is not a number")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise ScoreError(f"values[{index}]: {value:g} is out of range {lo}–{hi}")
    baseline, latest = data["values"][0], data["values"][-1]
    change = round(latest - baseline, 2)
    reduction = baseline - latest
    percent = round(change / baseline * 100, 1) if baseline else None
    thresholds = _thresholds(instrument_id)
    important = thresholds.get("important_change", {})
    result = {"instrument": instrument_id, "baseline": baseline, "latest": latest, "change": change,
              "percent_change": percent,
              "responder": {
                  "30_percent": bool(baseline) and reduction / baseline >= 0.30,
                  "50_percent": bool(baseline) and reduction / baseline >= 0.50,
                  "2_points": reduction >= important.get("points", 2),
              },
              "reliable_change_index": None}
    reliability = scoring.get("reliability")
    if reliability:
        se = reliability["sd"] * math.sqrt(1 - reliability["r"])
        rc = (latest - baseline) / (math.sqrt(2) * se)
        result["reliable_change_index"] = round(rc, 2)
        result["reliable_change"] = abs(rc) > load().get("instrument-threshold", "reliable-change-index")["threshold"]
    else:
        result["reliable_change_note"] = "the instrument's reliability (SD and test-retest r) is not known here"
    return result
