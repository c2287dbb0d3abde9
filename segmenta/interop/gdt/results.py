"""The 6310 result record of a signed session: the patient, the date and time, and the
session's summary as text the practice system files with its own chart (techniques, sites,
drug and dose, the safety verdicts, the pain scores, the signed note and its amendments),
in the language configured for the practice system (SEGMENTA_GDT_LANGUAGE)."""

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from segmenta import l10n
from segmenta.knowledge import localize
from segmenta.patients.bodymap import segments
from segmenta.treatment.models import Session

from . import format
from .patients import gdt_number


class ResultError(ValueError):
    """A session that cannot be sent: ``field`` names what is missing."""

    def __init__(self, field, message):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


def _label(kind, code):
    try:
        return localize.label(kind, code)
    except KeyError:
        return code


def _sites(injection):
    """The injection's body regions and body-map segments as the chart names them."""
    found = []
    for region in injection.regions or []:
        if not isinstance(region, dict):
            continue
        side = region.get("side")
        if region.get("region"):
            text = _label("region", region["region"])
        elif region.get("choir") in segments():
            segment = segments()[region["choir"]]
            text, side = localize.text(segment, "label"), side or segment.get("side")
        else:
            continue
        found.append(f"{text} ({_label('side', side).lower()})" if side else text)
    return found


def _who(user):
    return (user.get_full_name() or user.get_username()) if user else "?"


def summary(session):
    """(findings, text): the lines of 6220 (the summary) and of 6228 (each injection, the
    note, the amendments), in the active language."""
    injections = list(session.injections.select_related("performed_by").order_by("order", "id"))
    findings = [_("Neural therapy session of %(when)s, signed %(signed)s by %(who)s") % {
        "when": l10n.moment(session.started_at), "signed": l10n.moment(session.signed_at),
        "who": _who(session.signed_by)}]
    if injections:
        techniques = list(dict.fromkeys(_label("injection_target", i.target) for i in injections))
        findings.append(_("Techniques: %(list)s") % {"list": ", ".join(techniques)})
        sites = list(dict.fromkeys(site for i in injections for site in _sites(i)))
        if sites:
            findings.append(_("Sites: %(list)s") % {"list": ", ".join(sites)})
        drugs = list(dict.fromkeys(f"{_label('drug', i.drug)} {l10n.number(i.concentration_percent)} %"
                                   for i in injections))
        findings.append(_("Drug: %(drugs)s; total dose %(mg)s mg in %(count)s") % {
            "drugs": ", ".join(drugs), "mg": l10n.number(sum(i.mg for i in injections)),
            "count": ngettext("%(n)d injection", "%(n)d injections", len(injections)) % {"n": len(injections)}})
        counts = {verdict: sum(1 for i in injections if i.verdict == verdict) for verdict in ("ok", "warn", "block")}
        findings.append(_("Safety check: %(ok)d OK, %(warn)d with a warning, %(block)d blocked and given "
                          "with a physician's written override") % counts)
    else:
        findings.append(_("No injections."))
    for score in session.scores.select_related("complaint").order_by("id"):
        values = {"complaint": score.complaint.description, "before": score.pre_nrs, "after": score.post_nrs}
        findings.append((_("%(complaint)s: NRS %(before)s before") if score.post_nrs is None
                         else _("%(complaint)s: NRS %(before)s before, %(after)s after")) % values)
    text = []
    for injection in injections:
        parts = [str(injection), f"{l10n.number(injection.mg)} mg", *(_sites(injection) or []),
                 _("safety check: %(verdict)s") % {"verdict": injection.get_verdict_display()}]
        if injection.relief_percent is not None:
            parts.append(_("immediate relief %(percent)s %%") % {"percent": injection.relief_percent})
        text += format.wrap(" · ".join(parts))
        if injection.override_reason:
            text += format.wrap(_("Override: %(reason)s") % {"reason": injection.override_reason})
    if session.notes.strip():
        text.append(_("Note:"))
        text += format.wrap(session.notes)
    for amendment in session.amendments.select_related("author").order_by("created_at", "id"):
        text += format.wrap(_("Amendment of %(when)s by %(who)s: %(reason)s") % {
            "when": l10n.moment(amendment.created_at), "who": _who(amendment.author), "reason": amendment.reason})
        text += format.wrap(amendment.text)
    return findings, text


def record(session, config):
    """The bytes of the 6310 record for a signed ``session`` under ``config`` (config.Config)."""
    session = Session.objects.select_related("patient", "signed_by").get(pk=session.pk)
    if not session.signed:
        raise ResultError("SESSION_ID", _("session %(id)s is a draft; only signed sessions are sent")
                          % {"id": session.pk})
    patient = session.patient
    # The number the practice system's own requests named, never the record number, which the
    # clinic may change or give to another chart: a result must not land in another chart.
    number = gdt_number(patient)
    if number is None:
        raise ResultError("3000", _("no request of the practice system has named this patient yet, so the "
                                    "practice system's patient number its result is filed under is not known"))
    with translation.override(config.language):
        findings, text = summary(session)
    started = timezone.localtime(session.started_at)
    items = [
        format.head(config.pvs_id, config.own_id, config.charset, config.version, ("", "Segmenta", "")),
        ("Obj_Patient", [(format.PATIENT_NUMBER, number), (format.FAMILY_NAME, patient.family_name),
                         (format.GIVEN_NAME, patient.given_name),
                         (format.BIRTH_DATE, patient.birth_date.strftime("%d%m%Y")),
                         (format.SEX, format.SEX_OUT.get(patient.sex, ""))]),
        ("Obj_Anforderung", [(format.EXAMINATION_DATE, started.strftime("%d%m%Y")),
                             (format.EXAMINATION_TIME, started.strftime("%H%M%S"))]),
        (format.PROCEDURE, config.procedure),
        *[(format.FINDINGS, piece) for line in findings for piece in format.wrap(line)],
        *[(format.RESULT_TEXT, line) for line in text if line],
    ]
    return format.build(format.RESULT, items, charset=config.charset, version=config.version)
