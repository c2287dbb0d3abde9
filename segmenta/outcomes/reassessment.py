"""The reassessment report: baseline against now, responders, Huneke findings, doses,
red flags re-screened, and the decision."""

from django.utils import timezone

from segmenta import l10n
from segmenta.assessment.engine import red_flags
from segmenta.knowledge import localize
from segmenta.knowledge.service import for_clinic
from segmenta.patients.chart import nrs_courses
from segmenta.treatment.case import chart_queryset, patient_case
from segmenta.treatment.huneke import classify

from .labels import band_label, huneke_label, instrument_title
from .models import clinic_instruments
from .scoring import series


def report(plan):
    patient = chart_queryset().select_related("clinic").get(pk=plan.patient_id)
    kb = for_clinic(patient.clinic)
    case = patient_case(patient)
    scores = list(plan.complaint.scores.select_related("session").order_by("session__started_at", "id"))
    nrs = None
    if len(scores) >= 2:
        nrs = series("nrs-11", {"values": [s.pre_nrs for s in scores]})
    proms = []
    extra = clinic_instruments(patient.clinic_id)
    for instrument in sorted({r.instrument for r in patient.responses.all()}):
        answers = [r for r in patient.responses.all() if r.instrument == instrument]
        # Named by their titles and bands in words, not by their codes ("PHQ-9 … moderately severe").
        entry = {"instrument": instrument, "title": instrument_title(instrument, extra), "first": answers[0],
                 "latest": answers[-1], "count": len(answers),
                 "first_band": band_label(instrument, answers[0].band, extra),
                 "latest_band": band_label(instrument, answers[-1].band, extra)}
        if len(answers) >= 2 and instrument in ("nrs-11", "phq-9", "gad-7", "psfs"):
            entry["change"] = round(answers[-1].total - answers[0].total, 2)
        proms.append(entry)
    history = {f"h{h.pk}": h for h in patient.history.all()}
    tests = []
    for test, result in zip(case["tests"], classify(case, kb)["tests"]):
        if result["complaint_id"] == f"c{plan.complaint_id}":
            tests.append({"item": history.get(test["history_id"]), "date": l10n.day(l10n.from_case(test.get("date")), ""),
                          "classification": result["classification"], "label": huneke_label(result["classification"]),
                          "reasons": result["reasons"]})
    sessions = list(patient.sessions.prefetch_related("injections").order_by("started_at"))
    doses = [{"session": s, "mg": sum(i.mg for i in s.injections.all()), "injections": len(s.injections.all())}
             for s in sessions]
    flags = localize.red_flags(kb, [f for f in red_flags(case, kb)
                                    if f["complaint_id"] in (None, f"c{plan.complaint_id}")])
    courses = nrs_courses([plan.complaint], list(patient.sessions.prefetch_related("injections", "scores")
                                                  .order_by("started_at", "id")), day=timezone.localdate)
    return {"plan": plan, "patient": patient, "nrs": nrs, "courses": courses, "scores": scores, "proms": proms, "tests": tests,
            "doses": doses, "total_mg": sum(d["mg"] for d in doses), "red_flags": flags,
            "knowledge_version": kb.version}
