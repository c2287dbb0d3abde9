"""The pharmacovigilance report of one adverse event: the fields a national authority's
form asks for, from plain data. Pure Python (no Django): the views gather the data, this
module derives initials, age, time to onset and seriousness, and never the patient's
name. Where something is unknown the report says so instead of leaving it blank or
guessing: a report that reads "not serious" when nobody said so is worse than none.
"""

from datetime import date, datetime
from decimal import Decimal

UNKNOWN = "unknown"

# The report's own words. The CSV keeps these; the printed report gets them in the reader's
# language from the Django shell (``words``), with its own way of writing dates and numbers.
WORDS = {
    "unknown": UNKNOWN, "yes": "yes", "no": "no",
    "before_injection": "before the injection: check the recorded times",
    "not_linked": "unknown: the event is not linked to the injection it followed",
    "state_whether": "state whether: %(criteria)s",
}

# Column order of the CSV and of the PDF's table.
COLUMNS = [
    "report_id", "report_date", "reporter", "reporter_profession", "clinic", "clinic_jurisdiction",
    "patient_initials", "patient_age_years", "patient_sex", "patient_weight_kg",
    "suspected_drug", "product", "preservative", "multi_dose", "lot", "expiry",
    "dose_mg", "volume_ml", "concentration_percent", "route_target", "injection_time",
    "reaction", "reaction_description", "reaction_onset", "time_to_onset_minutes",
    "severity", "serious", "seriousness_criteria", "outcome", "causality_who_umc", "treatment_given",
    "reported_to_authority_at",
]


def initials(given_name, family_name, words=WORDS):
    """"Erika Maria Muster" → "E.M.M."; the name itself never leaves the clinic."""
    parts = f"{given_name or ''} {family_name or ''}".replace("-", " ").split()
    return "".join(f"{p[0].upper()}." for p in parts if p) or words["unknown"]


def age_years(birth_date, on):
    """Whole years between ``birth_date`` and the date ``on`` (None when either is unknown)."""
    if birth_date is None or on is None:
        return None
    if isinstance(on, datetime):
        on = on.date()
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def minutes_between(start, end, words=WORDS):
    if start is None or end is None:
        return words["unknown"]
    minutes = (end - start).total_seconds() / 60
    if minutes < 0:
        return words["before_injection"]
    return str(round(minutes))


def seriousness(severity, outcome, rule, words=WORDS, labels=None):
    """``("yes", criteria)`` when the record meets a seriousness criterion the knowledge
    base's ``pharmacovigilance`` entry lists; otherwise ``("unknown", what to state)``:
    the record cannot rule out hospitalisation, disability or medical importance.
    ``labels``: {"severity", "outcome"} as the reader reads them (else the codes)."""
    labels = labels or {}
    met = []
    if severity in rule["serious_when"]["severity"]:
        met.append(labels.get("severity") or severity.replace("_", "-"))
    if outcome in rule["serious_when"]["outcome"] and severity != "fatal":
        met.append(labels.get("outcome") or outcome)
    if met:
        return words["yes"], ", ".join(met)
    return words["unknown"], words["state_whether"] % {"criteria": "; ".join(rule["criteria_to_state"])}


def as_text(value, words=WORDS):
    """A value as the CSV writes it: ISO dates, a point for decimals, ``words`` for the rest."""
    if value is None or value == "":
        return words["unknown"]
    if isinstance(value, bool):
        return words["yes"] if value else words["no"]
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # 50.00 mg → "50"
    return str(value)


def report(data, rule, today, words=WORDS, text=as_text):
    """One report as an ordered dict of COLUMNS → text: ``text(value, words)`` writes each
    value (dates, times, numbers, yes and no), ``words`` are the report's own words.

    ``data`` holds ``report_id``, ``clinic`` {name, jurisdiction}, ``reporter`` {name,
    profession}, ``patient`` {given_name, family_name, birth_date, sex, weight_kg},
    ``event`` {kind_label, description, occurred_at, severity, severity_label, outcome,
    outcome_label, causality_label, treatment_given, reported_at}, ``session_start`` and
    ``injection`` (None, or {time, drug_label, product, preservative, multi_dose, lot,
    expiry, mg, volume_ml, concentration_percent, route_target}).
    """
    patient, event, injection = data["patient"], data["event"], data.get("injection")
    onset = event.get("occurred_at")
    serious, criteria = seriousness(event["severity"], event["outcome"], rule, words,
                                    {"severity": event.get("severity_label"), "outcome": event.get("outcome_label")}
                                    if words is not WORDS else None)
    found = {
        "report_id": data["report_id"], "report_date": today,
        "reporter": data["reporter"]["name"], "reporter_profession": data["reporter"].get("profession"),
        "clinic": data["clinic"]["name"], "clinic_jurisdiction": data["clinic"].get("jurisdiction"),
        "patient_initials": initials(patient.get("given_name"), patient.get("family_name"), words),
        "patient_age_years": age_years(patient.get("birth_date"), onset or data.get("session_start")),
        "patient_sex": patient.get("sex"), "patient_weight_kg": patient.get("weight_kg"),
        "reaction": event["kind_label"], "reaction_description": event.get("description"),
        "reaction_onset": onset,
        "severity": event["severity_label"], "serious": serious, "seriousness_criteria": criteria,
        "outcome": event["outcome_label"], "causality_who_umc": event["causality_label"],
        "treatment_given": event.get("treatment_given"), "reported_to_authority_at": event.get("reported_at"),
    }
    if injection is None:
        found.update({name: None for name in ("product", "preservative", "multi_dose", "lot", "expiry", "dose_mg",
                                              "volume_ml", "concentration_percent", "route_target", "injection_time",
                                              "time_to_onset_minutes")})
        found["suspected_drug"] = words["not_linked"]
    else:
        found.update({
            "suspected_drug": injection["drug_label"], "product": injection.get("product"),
            "preservative": injection.get("preservative"), "multi_dose": injection.get("multi_dose"),
            "lot": injection.get("lot"), "expiry": injection.get("expiry"), "dose_mg": injection.get("mg"),
            "volume_ml": injection.get("volume_ml"), "concentration_percent": injection.get("concentration_percent"),
            "route_target": injection.get("route_target"), "injection_time": injection.get("time"),
            "time_to_onset_minutes": minutes_between(injection.get("time"), onset, words),
        })
    return {column: text(found[column], words) for column in COLUMNS}
