"""A stored patient in the case format (segmenta-case/1), for the engines and exports."""

from django.db.models import Prefetch

from segmenta import caseformat

from .models import Complaint, HistoryItem, Patient


def chart_queryset():
    """Patients with everything the case needs, in a fixed number of queries."""
    return Patient.objects.prefetch_related(
        "allergies",
        "medications",
        "conditions",
        Prefetch("complaints", queryset=Complaint.objects.order_by("id")),
        Prefetch("history", queryset=HistoryItem.objects.order_by("id")),
        "weights",
        "pregnancy_statuses",
    )


def _latest(items):
    items = list(items)  # already ordered newest first by the model
    return items[0] if items else None


def _coded(value):
    return list(value or [])


def patient_case(patient, practitioner=None):
    """The case for ``patient``; ``practitioner`` is a PractitionerProfile, if known."""
    weight = _latest(patient.weights.all())
    pregnancy = _latest(patient.pregnancy_statuses.all())
    complaints = []
    findings = []
    for c in patient.complaints.all():
        item = {"id": c.case_id, "description": c.description, "regions": _coded(c.regions),
                "organs": _coded(c.organs), "status": c.status, "findings": _coded(c.findings)}
        if c.onset:
            item["onset"] = c.onset
        if c.nrs is not None:
            item["nrs"] = c.nrs
        complaints.append(item)
        if c.status == "active":
            findings.extend(f for f in c.findings if f not in findings)
    history = []
    for h in patient.history.all():
        item = {"id": h.case_id, "kind": h.kind, "description": h.description, "regions": _coded(h.regions),
                "organs": _coded(h.organs), "signs": _coded(h.signs)}
        if h.tooth:
            item["tooth"] = h.tooth
        if h.date:
            item["date"] = h.date
        if h.notes:
            item["notes"] = h.notes
        history.append(item)
    case = {
        "format": caseformat.FORMAT,
        "patient": {
            "sex": patient.sex,
            "birth_date": patient.birth_date.isoformat(),
            "weight_kg": float(weight.weight_kg) if weight else None,
            "pregnant": {"pregnant": True, "not_pregnant": False}.get(pregnancy.status) if pregnancy else None,
            "allergies": [{"substance": a.substance, "class": a.allergy_class}
                          for a in patient.allergies.all() if a.active],
            "medications": [{"name": m.name, "class": m.medication_class}
                            for m in patient.medications.all() if m.active],
            "conditions": sorted({c.code for c in patient.conditions.all() if c.code and c.active}),
        },
        "complaints": complaints,
        "history": history,
        "findings": findings,
        "tests": [],
        "planned_injections": [],
    }
    if practitioner is not None and practitioner.profession:
        case["practitioner"] = {"profession": practitioner.profession,
                                "trained_techniques": practitioner.trained_techniques()}
    return case
