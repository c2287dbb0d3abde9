"""The Django shell around the emergency card, the daily equipment check and the
pharmacovigilance report: it reads the chart and the clinic's knowledge base and hands
plain data to the pure functions in ``segmenta.knowledge.last`` and ``.vigilance``."""

from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from segmenta import l10n
from segmenta.knowledge import localize
from segmenta.knowledge.last import emergency_card
from segmenta.knowledge.monograph import DEPTHS
from segmenta.audit.trail import record
from segmenta.knowledge.service import for_clinic

from . import vigilance
from .models import AdverseEvent, EquipmentCheck, Injection
from .stock import lot_key
from .stockroom import lot_key_of


def clinic_kb(clinic):
    """The clinic's knowledge base; the shipped one if its overrides do not validate
    (``fallback`` True, and the card says so): an emergency card must always open."""
    kb = for_clinic(clinic)
    return kb, bool(kb.problems)


def age_on(birth_date, day):
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def card_for(patient, kb):
    """The emergency card for ``patient``: latest weight, latest recorded height (an entry
    marked entered in error is a mistake, never a dose's basis)."""
    standing = patient.weights.filter(entered_in_error_at=None)
    weight = standing.first()
    height = standing.exclude(height_cm=None).first()
    card = emergency_card(
        weight_kg=float(weight.weight_kg) if weight else None,
        height_cm=float(height.height_cm) if height else None,
        sex=patient.sex, age_years=age_on(patient.birth_date, timezone.localdate()),
        kb=localize.base(kb, ["protocol"]))
    card["weight_record"], card["height_record"] = weight, height
    return card


def equipment_items(kb):
    """The daily check's items, named in the active language."""
    return localize.entry(kb.get("protocol", "emergency-equipment"))["items"]


def equipment_today(clinic, kb):
    """Today's latest equipment check of ``clinic`` with the names of missing items, or None."""
    check = (EquipmentCheck.objects.filter(clinic=clinic, date=timezone.localdate())
             .select_related("checked_by").first())
    if check is None:
        return None
    missing = [item["name"] for item in equipment_items(kb) if item["id"] not in check.items]
    return {"check": check, "missing": missing, "complete": check.complete and not missing}


def emergency_context(session):
    """What the session page's emergency include needs."""
    patient = session.patient
    kb, fallback = clinic_kb(patient.clinic)
    events = list(session.adverse_events.all())
    return {
        "card": card_for(patient, kb), "kb_fallback": fallback,
        "last_event": any(e.kind == AdverseEvent.Kind.LAST for e in events),
        "equipment": equipment_today(patient.clinic, kb),
    }


def _profession(user):
    profile = getattr(user, "profile", None)
    code = profile.verified_profession if profile is not None else None
    return localize.label("profession", code) if code else None


def report_words():
    """The printed report's own words in the active language (``vigilance.WORDS``)."""
    return {"unknown": _("unknown"), "yes": _("yes"), "no": _("no"),
            "before_injection": _("before the injection: check the recorded times"),
            "not_linked": _("unknown: the event is not linked to the injection it followed"),
            "state_whether": _("state whether: %(criteria)s")}


def printed(value, words):
    """A value of the printed report as the reader's language writes it (01.03.2026 14:05,
    "5,5" in German); the CSV keeps ``vigilance.as_text``."""
    if isinstance(value, datetime):
        return l10n.moment(value)
    if isinstance(value, date):
        return l10n.day(value)
    if isinstance(value, (Decimal, float)):
        return l10n.number(value)
    return vigilance.as_text(value, words)


def vigilance_report(event, user, printable=False):
    """The report of ``event`` (an AdverseEvent with its session and patient loaded): for
    the CSV, or ``printable`` in the active language (its words, dates and numbers)."""
    session, patient = event.session, event.session.patient
    kb, _fallback = clinic_kb(patient.clinic)
    weight = patient.weights.filter(entered_in_error_at=None).first()
    injection = event.injection
    injected = None
    if injection is not None:
        technique = kb.get("technique", injection.target) or {}
        target = localize.label("injection_target", injection.target)
        side = f", {localize.label('side', injection.side)}" if injection.side else ""
        depth = technique.get("depth")
        if depth and printable:
            depth = str(DEPTHS.get(depth, depth))
            depth = depth[:1].lower() + depth[1:]
        depth = f" ({depth})" if depth else ""
        product = injection.product
        injected = {
            "time": timezone.localtime(injection.time), "drug_label": localize.label("drug", injection.drug),
            "product": product.name if product else None,
            "preservative": product.preservative if product else None,
            "multi_dose": product.multi_dose if product else None,
            "lot": injection.lot, "expiry": injection.expiry, "mg": injection.mg, "volume_ml": injection.volume_ml,
            "concentration_percent": injection.concentration_percent, "route_target": f"{target}{side}{depth}",
        }
    reporter = user.get_full_name() or user.get_username()
    data = {
        "report_id": f"SEG-{patient.clinic_id}-{event.pk}",
        "clinic": {"name": patient.clinic.name, "jurisdiction": patient.clinic.jurisdiction},
        "reporter": {"name": reporter, "profession": _profession(user)},
        "patient": {"given_name": patient.given_name, "family_name": patient.family_name,
                    "birth_date": patient.birth_date, "sex": localize.label("sex", patient.sex),
                    "weight_kg": weight.weight_kg if weight else None},
        "event": {"kind_label": event.get_kind_display(), "description": event.description,
                  "occurred_at": timezone.localtime(event.occurred_at) if event.occurred_at else None,
                  "severity": event.severity, "severity_label": event.get_severity_display(),
                  "outcome": event.outcome, "outcome_label": event.get_outcome_display(),
                  "causality_label": event.get_causality_display(), "treatment_given": event.treatment_given,
                  "reported_at": timezone.localtime(event.reported_at) if event.reported_at else None},
        "session_start": timezone.localtime(session.started_at),
        "injection": injected,
    }
    rule = kb.get("protocol", "pharmacovigilance")
    if printable:
        return vigilance.report(data, localize.entry(rule), timezone.localdate(), report_words(), printed)
    return vigilance.report(data, rule, timezone.localdate())


# --- Lots (recalls) -----------------------------------------------------------------

def lot_injections(user, lot, product=None):
    """Injections from ``lot`` in ``user``'s clinics, optionally of one product. Case and
    spaces are ignored on both sides, as the stock compares lots: a recall must not miss
    "ab 123 ". A lot of nothing but spaces names no lot and finds no injection (not every one
    whose lot was left empty)."""
    if not lot_key(lot):
        return Injection.objects.none()
    found = (Injection.objects.visible_to(user)
             .annotate(lot_key=lot_key_of("lot")).filter(lot_key=lot_key(lot))
             .select_related("session", "session__patient", "session__patient__clinic", "product")
             .order_by("session__patient__family_name", "session__patient__given_name", "session__started_at",
                       "order"))
    if product is not None:
        found = found.filter(product=product)
    return found


def audit_lot_search(request, injections, lot, user=None):
    """A recall search shows patients: one view event per patient listed."""
    seen = {}
    for injection in injections:
        seen.setdefault(injection.session.patient_id, (injection.session.patient, []))[1].append(injection.pk)
    for patient, injection_ids in seen.values():
        record("view", request=request, user=user, patient=patient, obj=patient,
               detail={"lot_search": lot, "injections": injection_ids})
