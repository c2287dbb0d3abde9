"""Recording sessions: the Django shell around the safety engine.

Every injection is checked by the safety engine, together with the session's earlier
injections, before it is saved. A ``block`` is saved only when a physician overrides it
with a written reason; the reason stays in the note and the audit trail.
"""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from segmenta.accounts.models import Membership
from segmenta.audit.trail import record
from segmenta.knowledge.service import for_clinic, remember
from segmenta.patients.case import chart_queryset, patient_case

from .models import Amendment, Injection, Session
from .safety import check


class TreatmentError(Exception):
    """A refused action, with the field it concerns (for forms and the API)."""

    def __init__(self, field, message, status=422):
        super().__init__(message)
        self.field, self.message, self.status = field, message, status


def membership_for(user, patient):
    return Membership.objects.filter(user=user, clinic=patient.clinic_id).first()


def is_physician(user):
    """A physician whose profession a clinic admin has verified (overrides need one)."""
    profile = getattr(user, "profile", None)
    return profile is not None and profile.verified_profession == "physician"


def _planned(injection):
    data = {"target": injection["target"], "drug": injection["drug"],
            "concentration_percent": float(injection["concentration_percent"]),
            "volume_ml": float(injection["volume_ml"]), "regions": list(injection.get("regions") or []),
            "time": injection["time"].isoformat(timespec="minutes")}
    if injection.get("side"):
        data["side"] = injection["side"]
    return data


def _existing(session):
    return [_planned({"target": i.target, "drug": i.drug, "concentration_percent": i.concentration_percent,
                      "volume_ml": i.volume_ml, "regions": i.regions, "time": i.time, "side": i.side})
            for i in session.injections.order_by("order", "id")]


def safety_preview(session, injection, user):
    """The safety engine's answer for ``injection`` after the session's earlier ones."""
    patient = chart_queryset().get(pk=session.patient_id)
    kb = for_clinic(patient.clinic)
    case = patient_case(patient, practitioner=getattr(user, "profile", None))
    case["tests"] = []
    case["planned_injections"] = _existing(session) + [_planned(injection)]
    result = check(case, kb)
    return result, _aspiration(result["injections"][-1], injection, kb), kb


def _aspiration(verdict, injection, kb):
    """Deep targets need aspiration before injecting; not recording it is a warning."""
    technique = kb.get("technique", injection["target"])
    if technique["aspirate"] and not injection.get("aspiration_done"):
        verdict["reasons"].append({"code": "aspiration_not_recorded",
                                   "message": _("aspirate before injecting at a deep target (not recorded)")})
        if verdict["verdict"] == "ok":
            verdict["verdict"] = "warn"
    return verdict


def add_injection(session, injection, user, request=None, override_reason=""):
    """Check and save one injection; return it. Raises TreatmentError when refused."""
    if session.signed:
        raise TreatmentError("session", _("This session is signed; add an amendment instead."), status=409)
    # The entered fields first, so the safety engine only ever sees valid data.
    injection = dict(injection)
    if injection.get("time") is not None and timezone.is_naive(injection["time"]):
        injection["time"] = timezone.make_aware(injection["time"])
    item = Injection(session=session, order=0, mg=0, cumulative_mg=0, verdict="ok", **injection)
    item.full_clean(exclude=["session", "order", "mg", "cumulative_mg", "verdict", "reasons"])
    with transaction.atomic():
        if Session.objects.select_for_update().get(pk=session.pk).signed:
            raise TreatmentError("session", _("This session is signed; add an amendment instead."), status=409)
        result, verdict, kb = safety_preview(session, injection, user)
        override_reason = (override_reason or "").strip()
        if verdict["verdict"] == "block":
            if not is_physician(user) or not (membership_for(user, session.patient) or Membership()).can_sign:
                raise TreatmentError("override_reason", _("Blocked by the safety check: %(reasons)s. Only a "
                                                          "physician can override a block.")
                                     % {"reasons": "; ".join(r["message"] for r in verdict["reasons"])})
            if not override_reason:
                raise TreatmentError("override_reason", _("Blocked by the safety check: %(reasons)s. To go ahead, "
                                                          "write why.")
                                     % {"reasons": "; ".join(r["message"] for r in verdict["reasons"])})
        elif override_reason:
            override_reason = ""  # nothing to override
        item.order = session.injections.count() + 1
        item.mg = Decimal(str(verdict["mg"]))
        item.cumulative_mg = Decimal(str(verdict["cumulative_mg"]))
        item.verdict = verdict["verdict"]
        item.reasons = verdict["reasons"]
        item.override_reason = override_reason
        item.overridden_by = user if override_reason else None
        item.save()
        if not session.knowledge_version:
            session.knowledge_version = remember(kb)
            session.save(update_fields=["knowledge_version"])
        record("create", request=request, user=user, patient=session.patient, obj=item,
               detail={"session": session.pk, "verdict": verdict["verdict"],
                       "codes": [r["code"] for r in verdict["reasons"]],
                       **({"override_reason": override_reason} if override_reason else {})})
    return item


def sign(session, user, request=None):
    membership = membership_for(user, session.patient)
    if membership is None or not membership.can_sign:
        raise TreatmentError("user", _("Only a practitioner can sign a session; assistants document."), status=403)
    with transaction.atomic():
        # Lock and re-read: of two simultaneous signatures only the first counts, and no
        # injection can slip in between hashing and saving.
        fresh = Session.objects.select_for_update().get(pk=session.pk)
        if fresh.signed:
            raise TreatmentError("session", _("This session is signed already."), status=409)
        # The hash covers what is stored, read under the lock.
        fresh.content_hash = fresh.compute_hash()
        fresh.status = Session.Status.SIGNED
        fresh.signed_at = timezone.now()
        fresh.signed_by = user
        fresh.save(signing=True)
        for name in ("content_hash", "status", "signed_at", "signed_by"):
            setattr(session, name, getattr(fresh, name))
        record("update", request=request, user=user, patient=session.patient, obj=session,
               detail={"signed": True, "content_hash": session.content_hash})
    return session


def amend(session, user, reason, text, request=None):
    membership = membership_for(user, session.patient)
    if membership is None or not membership.can_sign:
        raise TreatmentError("user", _("Only a practitioner can sign an amendment."), status=403)
    if not session.signed:
        raise TreatmentError("session", _("A draft is edited directly; amendments are for signed sessions."),
                             status=409)
    reason, text = (reason or "").strip(), (text or "").strip()
    if not reason:
        raise TreatmentError("reason", _("Say why the note is amended."))
    if not text:
        raise TreatmentError("text", _("Write the amendment."))
    with transaction.atomic():
        amendment = Amendment(session=session, author=user, reason=reason, text=text)
        amendment.save()
        record("create", request=request, user=user, patient=session.patient, obj=amendment,
               detail={"session": session.pk, "reason": reason})
    return amendment
