"""Field validators for the chart: coded lists and partial dates, in the case format's terms."""

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from segmenta import caseformat
from segmenta.knowledge import vocabulary
from segmenta.knowledge.base import load
from segmenta.validators import when_problem


def partial_date(value):
    """A past date as precise as known: YYYY, YYYY-MM or YYYY-MM-DD, from 1900 to today."""
    if value and not caseformat.is_partial_date(value):
        raise ValidationError(_("Enter a date as YYYY, YYYY-MM or YYYY-MM-DD."), code="partial_date")
    if value:
        # The earliest day the value can mean: "2019-06" may be any day of June 2019.
        year, month, day = (int(part) for part in (value + "-01-01")[:10].split("-"))
        try:
            earliest = date(year, month, day)
        except ValueError:
            raise ValidationError(_("Enter a date as YYYY, YYYY-MM or YYYY-MM-DD."), code="partial_date") from None
        problem = when_problem(earliest, "today")
        if problem:
            raise ValidationError(problem, code="date_range")


def _codes(kind, value, label):
    if not isinstance(value, list):
        raise ValidationError(_("Expected a list of %(label)s.") % {"label": label}, code="type")
    allowed = set(vocabulary.codes(kind))
    unknown = [v for v in value if not isinstance(v, str) or v not in allowed]
    if unknown:
        raise ValidationError(_("Unknown %(label)s: %(values)s.") % {"label": label, "values": ", ".join(map(str, unknown))},
                              code="unknown")
    if len(set(value)) != len(value):
        raise ValidationError(_("Each value only once, please."), code="duplicate")


def organs(value):
    _codes("organ", value, _("organs"))


def signs(value):
    _codes("sign", value, _("signs"))


def findings(value):
    """Red flags of a complaint. A normal INR is a finding of the day, recorded on the session."""
    _codes("finding", value, _("findings"))
    not_flags = [code for code in value if load().get("red-flag", code) is None]
    if not_flags:
        raise ValidationError(_("Not a red flag: %(codes)s (a normal INR is recorded on the session).")
                              % {"codes": ", ".join(not_flags)}, code="not_red_flag")


def consent_scopes(value):
    _codes("consent_scope", value, _("consent scopes"))


def regions(value):
    """[{"region": "shoulder", "side": "right"}] or [{"choir": 118, "side": "left"}]."""
    if not isinstance(value, list):
        raise ValidationError(_("Expected a list of body regions."), code="type")
    sides = set(vocabulary.codes("side"))
    named = set(vocabulary.codes("region"))
    for item in value:
        if not isinstance(item, dict) or not item.keys() <= {"region", "choir", "side"} or (
                ("region" in item) == ("choir" in item)):
            raise ValidationError(_("Each region is {\"region\": …} or {\"choir\": …}, with an optional side."),
                                  code="shape")
        # A list or object where a name or number belongs is unknown too, never a crash.
        if "region" in item and (not isinstance(item["region"], str) or item["region"] not in named):
            raise ValidationError(_("Unknown body region: %(v)s.") % {"v": item["region"]}, code="unknown")
        if "choir" in item and (not isinstance(item["choir"], int) or isinstance(item["choir"], bool)
                                or item["choir"] not in caseformat.CHOIR_SEGMENTS):
            raise ValidationError(_("Unknown body-map segment: %(v)s.") % {"v": item["choir"]}, code="unknown")
        if "side" in item and (not isinstance(item["side"], str) or item["side"] not in sides):
            raise ValidationError(_("Unknown side: %(v)s.") % {"v": item["side"]}, code="unknown")


def signature_strokes(value):
    """On-screen signatures are kept as SVG path data only: nothing that could run."""
    if value and (len(value) > 100_000 or not re.fullmatch(r"[MLml0-9 .,\-]*", value)):
        raise ValidationError(_("The signature is not valid stroke data."), code="signature")

