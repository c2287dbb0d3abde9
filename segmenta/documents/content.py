"""What each document says, gathered from the chart and the clinic's knowledge base, in the
active language (the caller chooses it: the patient's for what the patient reads, the user's
for a note or a letter to a colleague). Plain dicts for the templates; nothing is written."""

from collections import Counter

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from segmenta import l10n
from segmenta.assessment.engine import red_flags
from segmenta.knowledge import localize, wording
from segmenta.knowledge.service import for_clinic
from segmenta.outcomes.labels import huneke_label
from segmenta.outcomes.patient_copy import _regions as regions_text
from segmenta.outcomes.patient_copy import entry, summary
from segmenta.outcomes.reassessment import report
from segmenta.treatment.case import chart_queryset, patient_case
from segmenta.treatment.huneke import classify
from segmenta.treatment.models import Injection, Product

class NotAvailable(Exception):
    """This document cannot be made for this record (a session not signed, say); the message
    says why in the active language."""


def chart(patient_id):
    """The patient with everything the case format reads, and the clinic."""
    return chart_queryset().select_related("clinic").get(pk=patient_id)


# --- The signed session note --------------------------------------------------------------

def session_note(session):
    if not session.signed:
        raise NotAvailable(_("Session %(id)s is not signed: only a signed note is printed.") % {"id": session.pk})
    note = entry(session, injections=[entry(i) for i in session.injections.all()],
                 scores=[entry(s) for s in session.scores.all()],
                 adverse_events=[entry(e) for e in session.adverse_events.all()],
                 follow_ups=[entry(f) for f in session.follow_ups.all()],
                 amendments=[entry(a) for a in session.amendments.all()])
    return {"session": session, "patient": session.patient, "note": note,
            "title": _("Signed session note of %(date)s") % {"date": l10n.moment(session.started_at)}}


# --- The referral letter ------------------------------------------------------------------

def _sites(regions):
    """Each body region or body-map segment with its side, as the chart names it."""
    return [text for text in (regions_text([region]) for region in regions or []) if text]


def findings(patient):
    """The complaints as a colleague reads them: description, since when, regions, pain now."""
    lines = []
    for complaint in patient.complaints.all():
        if complaint.in_error:
            continue
        parts = [complaint.clinical_label()]
        if complaint.onset:
            parts.append(_("since %(when)s") % {"when": wording.day(complaint.onset)})
        sites = ", ".join(_sites(complaint.regions))
        if sites:
            parts.append(sites)
        if complaint.nrs is not None:
            parts.append(_("pain now NRS %(nrs)s/10") % {"nrs": complaint.nrs})
        lines.append("; ".join(parts))
    return lines


def tested_fields(patient, case, kb):
    """Each test injection of a candidate field, with its date and how it was read (Huneke)."""
    history = {f"h{h.pk}": h for h in patient.history.all()}
    lines = []
    for test, result in zip(case["tests"], classify(case, kb)["tests"]):
        item = history.get(test["history_id"])
        when = wording.day(test["date"]) if test.get("date") else ""
        lines.append(" — ".join(part for part in (str(item) if item else "", when, huneke_label(result["classification"]))
                                if part))
    return lines


def flags(case, kb):
    return [f"{flag['message']} — {flag['action']}" for flag in localize.red_flags(kb, red_flags(case, kb))]


def screenings(patient, kb):
    """The latest red-flag screening of each complaint, with its date and result: which flags
    were answered yes, how many no and how many not asked. A flag found is only as good as the
    screening behind it, so the letter says which screening that was (or that there was none)."""
    latest = {}
    for screening in patient.red_flag_screenings.select_related("complaint").order_by("-date", "-id"):
        if not screening.complaint.in_error:
            latest.setdefault(screening.complaint_id, screening)
    lines = []
    for screening in sorted(latest.values(), key=lambda s: (s.date, s.pk)):
        yes = [localize.name(kb, "red-flag", code) for code in screening.codes("yes")]
        no, not_asked = len(screening.codes("no")), len(screening.codes("not_asked"))
        if yes:
            result = _("positive: %(flags)s") % {"flags": ", ".join(yes)}
        else:
            result = ngettext("no red flag: %(count)s question answered no", "no red flag: %(count)s questions answered no",
                              no) % {"count": no}
        if not_asked:
            result += "; " + ngettext("%(count)s not asked", "%(count)s not asked", not_asked) % {"count": not_asked}
        lines.append(_("Red-flag screening of %(date)s (%(complaint)s): %(result)s") % {
            "date": l10n.day(screening.date), "complaint": screening.complaint.clinical_label(), "result": result})
    return lines


def referral_draft(patient):
    """The referral's texts prefilled from the chart, for the practitioner to edit."""
    patient = chart(patient.pk)
    kb = for_clinic(patient.clinic)
    case = patient_case(patient)
    return {"findings": "\n".join(findings(patient)),
            "tested_fields": "\n".join(tested_fields(patient, case, kb)),
            "red_flags": "\n".join([*flags(case, kb), *(screenings(patient, kb) or [
                _("No red-flag screening is recorded in the chart.")])]),
            "question": "", "recipient_name": ""}


def referral(patient, texts, recipient_label):
    return {"patient": patient, "texts": texts, "recipient": recipient_label,
            "title": _("Referral to: %(recipient)s") % {"recipient": recipient_label}}


# --- The end-of-course letter -------------------------------------------------------------

def course_letter(plan):
    """Baseline against now (the reassessment report) and what was done in the plan's sessions."""
    found = report(plan)
    sessions = list(plan.sessions.prefetch_related("injections").order_by("started_at", "id"))
    techniques, sites = Counter(), Counter()
    for session in sessions:
        for injection in session.injections.all():
            techniques[injection.get_target_display()] += 1
            for site in _sites(injection.regions):
                sites[site] += 1
    done = {"sessions": len(sessions), "first": sessions[0].started_at if sessions else None,
            "last": sessions[-1].started_at if sessions else None,
            "techniques": techniques.most_common(), "sites": sites.most_common(),
            "injections": sum(techniques.values())}
    return {**found, "done": done, "title": _("End-of-course letter: %(complaint)s") % {
        "complaint": plan.complaint.description}}


# --- The information and consent sheet ----------------------------------------------------

def techniques(kb):
    """(id, name) of every technique, in the active language."""
    return [(key, localize.text(value)) for key, value in kb.entries["technique"].items()]


def sheet_drugs(clinic, kb):
    """(id, name) of the drugs a consent sheet may name: those of the clinic's products in use,
    else (a clinic that keeps no products) every drug of the knowledge base."""
    stocked = set(Product.objects.filter(clinic=clinic, active=True).values_list("drug", flat=True))
    return [(key, localize.text(value)) for key, value in kb.entries["drug"].items() if not stocked or key in stocked]


def proposed_drug(patient, kb):
    """The drug a consent sheet names unless told otherwise: the one the patient was last
    injected with, else the clinic's only drug; None when the practitioner has to choose."""
    last = (Injection.objects.filter(session__patient=patient, session__clinic_id=patient.clinic_id)
            .order_by("-time", "-id").values_list("drug", flat=True).first())
    if last and kb.get("drug", last):
        return last
    offered = sheet_drugs(patient.clinic, kb)
    return offered[0][0] if len(offered) == 1 else None


def why_no_sheet(consent):
    """Why no consent sheet is printed for this consent (in the active language), or None when
    one is. The sheet is what the patient signs with a consent given: printing it for a refusal
    or a withdrawn consent would put on paper an agreement the chart says the patient did not
    give (a withdrawal announced for a later day counts already)."""
    if consent.decision != consent.Decision.GIVEN:
        return _("The patient refused consent on %(date)s: no consent sheet is printed for a refusal.") % {
            "date": l10n.day(consent.date)}
    if consent.withdrawn_on is not None:
        return _("This consent was withdrawn on %(date)s: no consent sheet is printed for it. Record a new "
                 "consent first.") % {"date": l10n.day(consent.withdrawn_on)}
    return None


def _risks(ganglion, shown):
    """The technique's complications as the knowledge base names them, each with whether a
    source states how often it happens (the entry's ``complications_with_frequency`` says so;
    nothing is guessed from the wording), and the related warnings (reports from nearby
    injections), in the active language."""
    if not ganglion:
        return [], []
    stated = set(ganglion.get("complications_with_frequency", []))
    risks = [{"text": text, "frequency_known": original in stated}
             for original, text in zip(ganglion.get("complications", []), shown.get("complications", []))]
    return risks, list(shown.get("related_warnings", []))


def sheet_drug(consent, technique_id, drug_id=""):
    """The drug the consent sheet names (the one given, else the proposed one), once the sheet
    may be made; NotAvailable saying why not (in the active language: make.compose asks in the
    language of whoever prints, before the patient's)."""
    refusal = why_no_sheet(consent)
    if refusal:
        raise NotAvailable(refusal)
    kb = for_clinic(consent.patient.clinic)
    if kb.get("technique", technique_id) is None:
        raise NotAvailable(_("Unknown technique %(id)s.") % {"id": technique_id})
    drug_id = drug_id or proposed_drug(consent.patient, kb)
    if drug_id is None:
        raise NotAvailable(_("Choose the drug the sheet is for."))
    if kb.get("drug", drug_id) is None:
        raise NotAvailable(_("Unknown drug %(id)s.") % {"id": drug_id})
    return drug_id


def consent_sheet(consent, technique_id, drug_id=""):
    """What the technique does with which drug, every risk and warning the knowledge base holds
    for it (a frequency only where a source states one: none is made up), the sources,
    alternatives and costs."""
    drug_id = sheet_drug(consent, technique_id, drug_id)
    kb = for_clinic(consent.patient.clinic)
    technique = kb.get("technique", technique_id)
    shown = localize.entry(technique)
    raw_ganglion = kb.get("ganglion", technique.get("ganglion")) if technique.get("ganglion") else None
    ganglion = localize.entry(raw_ganglion) if raw_ganglion else None
    risks, related = _risks(raw_ganglion, ganglion)
    drug = localize.entry(kb.get("drug", drug_id))
    sources = []
    for key in [*technique.get("sources", []), *(ganglion or {}).get("sources", [])]:
        source = kb.get("source", key)
        if source and source["name"] not in sources:
            sources.append(source["name"])
    return {"consent": consent, "patient": consent.patient, "technique": shown, "technique_id": technique_id,
            "ganglion": ganglion, "risks": risks, "related_warnings": related,
            "risks_note": (ganglion or {}).get("complications_note", ""),
            "drug": drug, "drug_id": drug_id, "evidence": localize.evidence_label(technique["evidence"]),
            "sources": sources, "title": _("Information and consent: %(technique)s") % {"technique": shown["name"]}}


# --- Patient leaflets ----------------------------------------------------------------------

def no_leaflet(leaflet_id):
    return _("There is no leaflet %(id)s in the knowledge base.") % {"id": leaflet_id}


# --- The patient's copy -------------------------------------------------------------------

def record_copy(patient):
    patient = chart(patient.pk)
    return {"patient": patient, "sections": summary(patient), "title": _("Patient's copy of the chart")}
