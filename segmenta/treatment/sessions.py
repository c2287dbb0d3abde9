"""Recording sessions: the Django shell around the safety engine.

Every injection is checked by the safety engine, together with the session's earlier
injections, before it is saved. A ``block`` is saved only when a physician overrides it
with a written reason; the reason stays in the note and the audit trail.
"""

import copy
from datetime import UTC, datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from segmenta import l10n
from segmenta.accounts.models import Membership
from segmenta.audit.trail import record
from segmenta.knowledge import localize
from segmenta.knowledge import wording
from segmenta.knowledge.phrases import Phrase
from segmenta.knowledge.service import for_clinic, remember
from segmenta.patients.models import HistoryItem, Patient
from segmenta.prepared import Prepared
from segmenta.treatment.case import chart_queryset, kept_case, patient_case
from segmenta.validators import when_problem

from .models import Amendment, Injection, Session, SignedSessionError
from .safety import budget, check, summary, window_start
from .signals import session_signed
from .stockroom import StockError, choose_lot, ensure_available


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


def _product(injection):
    """The product an injection was drawn from, as the case format describes it."""
    product, lot, expiry = injection.get("product"), injection.get("lot"), injection.get("expiry")
    found = {}
    if product is not None:
        found = {"name": product.name, "preservative": product.preservative, "multi_dose": product.multi_dose}
    if lot:
        found["lot"] = lot
    if expiry:
        found["expiry"] = expiry.isoformat()
    return found


def _planned(injection):
    data = {"target": injection["target"], "drug": injection["drug"],
            "concentration_percent": float(injection["concentration_percent"]),
            "volume_ml": float(injection["volume_ml"]), "regions": list(injection.get("regions") or []),
            "time": injection["time"].isoformat(timespec="minutes")}
    if injection.get("side"):
        data["side"] = injection["side"]
    product = _product(injection)
    if product:
        data["product"] = product
    return data


def _as_case(item):
    """A stored injection in the case format."""
    return _planned({"target": item.target, "drug": item.drug, "concentration_percent": item.concentration_percent,
                     "volume_ml": item.volume_ml, "regions": item.regions, "time": item.time, "side": item.side,
                     "product": item.product, "lot": item.lot, "expiry": item.expiry})


def _existing(session):
    return [_as_case(i) for i in session.injections.select_related("product").order_by("order", "id")]


def _near(clinic_id, patient_id, start, end):
    return (Injection.objects.filter(clinic_id=clinic_id, session__patient_id=patient_id, time__gte=start,
                                     time__lte=end).select_related("product").order_by("time", "id"))


# Read for every strip and every live check of an injection: SQL built once (segmenta/prepared.py).
_GIVEN_NEAR = Prepared(_near, int, int, datetime, datetime)
_GIVEN_NEAR_ELSEWHERE = Prepared(lambda clinic_id, patient_id, start, end, session_id: _near(
    clinic_id, patient_id, start, end).exclude(session_id=session_id), int, int, datetime, datetime, int)


def _window(kb, when):
    """(start, end) of the injections that count at ``when``, as real hours either side in
    UTC (window_start says why); a naive ``when`` is read as the ORM reads one, in the
    default time zone."""
    if timezone.is_naive(when):
        when = timezone.make_aware(when, timezone.get_default_timezone())
    when = when.astimezone(UTC)
    start = window_start(kb, when)
    return start, when + (when - start)


def given_elsewhere(patient, session, when, kb):
    """Injections of the patient's other sessions near ``when``: they count toward the
    rolling total and the bilateral-stellate rule (the engine decides which do)."""
    start, end = _window(kb, when)
    key = (patient.clinic_id, patient.pk, start, end)
    others = _GIVEN_NEAR(*key) if session is None else _GIVEN_NEAR_ELSEWHERE(*key, session.pk)
    return [_as_case(i) for i in others]


def given_by_patient(clinic, patient_ids, when, kb):
    """``given_elsewhere`` for many patients of ``clinic`` at once, in one query: {patient
    id: injections near ``when``}, for pages that show several strips (the day's list). Bare
    ids say nothing of their clinic, so the query names it itself (accounts/scoping.py)."""
    start, end = _window(kb, when)
    found = {pk: [] for pk in patient_ids}
    rows = (Injection.objects.filter(clinic=clinic, session__patient_id__in=found, time__gte=start, time__lte=end)
            .select_related("product", "session").order_by("time", "id"))
    for item in rows:
        found[item.session.patient_id].append(_as_case(item))
    return found


def practitioner_case(user, clinic, day=None):
    """The injecting practitioner in the case format, with the training valid on ``day`` (the
    injection's; today if None): an unverified profession or a user without a profile is an
    unknown profession, which the engine does not pass silently."""
    profile = getattr(user, "profile", None) if user is not None else None
    return profile.case_practitioner(clinic, day) if profile is not None else {"trained_techniques": []}


def _day_of(when):
    """The clinic-local day of an injection's time (a datetime, or None for today)."""
    if when is None:
        return None
    return timezone.localdate(when) if timezone.is_aware(when) else when.date()


def safety_case(session, injection, performer):
    """The case the engine checks ``injection`` in: the patient's chart, the injecting
    practitioner, this session's earlier injections and what other sessions gave. Returns
    (case, knowledge base, patient)."""
    patient = chart_queryset().select_related("clinic").get(pk=session.patient_id)
    kb = for_clinic(patient.clinic)
    case = patient_case(patient)
    case["tests"] = []
    if session.inr_normal:
        case["findings"] = [*case["findings"], "inr_normal"]
    case["practitioner"] = practitioner_case(performer, patient.clinic, _day_of(injection.get("time")))
    case["given_injections"] = given_elsewhere(patient, session, injection["time"], kb)
    case["planned_injections"] = _existing(session) + [_planned(injection)]
    return case, kb, patient


# The lists of the chart that the strip reads.
STRIP_LISTS = ("allergies", "medications", "conditions", "complaints", "weights", "pregnancy_statuses", "reviews",
               "consents")


def strip_chart(patient):
    """(patient, knowledge base, case) as the strip reads them. Loaded once, it serves
    several moments (``strip_facts(..., chart=...)``). A patient that comes with the strip's
    lists loaded (the chart page's, when it draws the chart) is read as it is; otherwise the
    patient's case kept under its stamp (``kept_case``) serves, or, without stamps, the
    strip's lists are loaded. The strip reads none of the history items and test injections
    that a whole case holds."""
    loaded = _as_loaded(patient)
    if loaded is None:
        case = kept_case(patient)
        if case is not None:
            if "clinic" not in patient._state.fields_cache:
                patient = Patient.objects.select_related("clinic").get(pk=patient.pk)
            return patient, for_clinic(patient.clinic), case
        loaded = (Patient.objects.select_related("clinic")
                  .prefetch_related(*STRIP_LISTS, Prefetch("history", queryset=HistoryItem.objects.none()),
                                    Prefetch("sessions", queryset=Session.objects.none()))
                  .get(pk=patient.pk))
    return loaded, for_clinic(loaded.clinic), patient_case(loaded)


def _as_loaded(patient):
    """A copy of ``patient`` that reads its loaded lists as the strip's own query would
    (each in its model's order), with no history or sessions; None unless all are loaded."""
    loaded = getattr(patient, "_prefetched_objects_cache", {})
    if not all(name in loaded for name in STRIP_LISTS) or "clinic" not in patient._state.fields_cache:
        return None
    shown = copy.copy(patient)
    shown._prefetched_objects_cache = {name: _loaded(loaded[name]) for name in STRIP_LISTS}
    shown._prefetched_objects_cache.update(history=_loaded(HistoryItem.objects.none()),
                                           sessions=_loaded(Session.objects.none()))
    return shown


def _loaded(queryset):
    """``queryset``'s rows in its model's own order, as a prefetched (already read) queryset:
    rows the page read in another order (the chart's complaints, by id) are sorted again."""
    rows = list(queryset)
    ordering = queryset.model._meta.ordering if queryset.query.order_by else []
    for field in reversed(ordering):
        name = field.lstrip("-")
        rows.sort(key=lambda row: getattr(row, name), reverse=field.startswith("-"))
    found = queryset.model.objects.none()
    found._result_cache, found._prefetch_done = rows, True
    return found


def strip_facts(patient, now=None, chart=None, given=None):
    """The safety strip's facts for ``patient`` now (or at ``now``): the chart as the engine
    sees it, and the dose given within the rolling window (every session, this one included).
    ``given``: those injections when the page has read them already (``given_by_patient``)."""
    now = now or timezone.now()
    patient, kb, case = chart or strip_chart(patient)
    case = {**case, "given_injections": given_elsewhere(patient, None, now, kb) if given is None else given}
    facts = summary(case, kb, now)
    return {**facts, **_shown_facts(facts, case, kb), "clinic_rules_invalid": bool(kb.problems)}


def _shown_facts(facts, case, kb):
    """The facts the strip writes as words, in the page's language: an allergy recorded by
    class and a blood thinner known only by its agent or class by the knowledge base's
    label (the engine's are codes and English), dates as dates, written by the template."""
    allergies = [a.get("substance") or localize.label("allergy_class", a["class"])
                 for a in case["patient"].get("allergies", [])]
    typed = {m.get("name") for m in case["patient"].get("medications", []) if m.get("name")}
    agents = {agent["name"]: agent for agent in kb.all("bleeding-agent")}
    for thinner in facts["blood_thinners"]:
        name = thinner["name"]
        if name not in typed:
            thinner["name"] = (localize.text(agents[name]) if name in agents
                               else localize.label("medication_class", thinner["class"]))
        thinner["last_dose"] = l10n.from_case(thinner["last_dose"])
    return {"allergies": allergies, "pregnancy_checked": l10n.from_case(facts["pregnancy_checked"])}


def safety_preview(session, injection, user):
    """The safety engine's answer for ``injection`` after the session's earlier ones, with
    what only the chart knows added."""
    performer = injection.get("performed_by") or user
    case, kb, patient = safety_case(session, injection, performer)
    result = check(case, kb)
    verdict = result["injections"][-1]
    _add(verdict, _chart_checks(injection, kb, patient, performer, user))
    # What is left of the rolling window's dose once this one is given: the engine's own
    # budget over everything given before it, this session's injections and this one.
    given = case["given_injections"] + case["planned_injections"]
    verdict["budget"] = budget({**case, "given_injections": given}, kb, injection["time"])
    if any(reason.get("code") == "untrained_technique" for reason in verdict["reasons"]):
        verdict["training_gap"] = training_gap(performer, injection["target"], user, _day_of(injection.get("time")))
    return result, verdict, kb


def training_gap(performer, target, user, day=None):
    """Why the scope check found no training of ``performer`` for ``target`` on ``day`` (the
    injection's): the day their last training of it expired (None: no record covers it), and
    whether ``user`` is the one who can record a training (only for themselves). Shown, never
    stored."""
    profile = getattr(performer, "profile", None)
    expired_on = profile.lapsed_techniques(day).get(target) if profile is not None else None
    return {"technique": target, "expired_on": expired_on, "own": performer == user}


def _add(verdict, reasons):
    verdict["reasons"].extend({**reason, "verdict": "warn"} for reason in reasons)
    if reasons and verdict["verdict"] == "ok":
        verdict["verdict"] = "warn"


def _chart_checks(injection, kb, patient, performer, user):
    """Warnings only the chart can give: aspiration and the product not recorded at targets
    that need them, conditions recorded only as text (the engine reads codes), the clinic's
    own rules that could not be applied, a licence from elsewhere, and an injection charted
    for someone else."""
    technique = kb.get("technique", injection["target"])
    found = []
    # Phrases like the engine's: English where they are kept, the reader's language where shown.
    if technique["aspirate"] and not injection.get("aspiration_done"):
        found.append({"code": "aspiration_not_recorded",
                      "message": Phrase(gettext_noop("aspirate before injecting at a deep target (not recorded)"))})
    if technique.get("preservative_free") and injection.get("product") is None:
        found.append({"code": "product_not_recorded", "message": Phrase(gettext_noop(
            "record the product: only a preservative-free single dose may be used here"))})
    uncoded = [c.text for c in patient.conditions.all() if c.active and not c.code and not c.in_error]
    if uncoded:
        found.append({"code": "uncoded_condition", "message": Phrase(
            gettext_noop("conditions recorded only as text are not checked: %(conditions)s — code them"),
            conditions=", ".join(uncoded))})
    if kb.problems:
        found.append({"code": "clinic_rules_invalid", "message": Phrase(gettext_noop(
            "the clinic's own knowledge-base rules no longer validate; the shipped rules apply until an admin "
            "corrects them"))})
    profile = getattr(performer, "profile", None)
    elsewhere = profile.licensed_elsewhere(patient.clinic) if profile is not None else None
    if elsewhere:
        found.append({"code": "licensed_elsewhere", "message": Phrase(
            gettext_noop("licensed in %(licence)s, injecting in %(clinic)s: check the licence is valid here"),
            licence=elsewhere, clinic=patient.clinic.jurisdiction)})
    if performer != user:
        found.append({"code": "charted_for_another", "message": Phrase(
            gettext_noop("entered by %(user)s for %(performer)s, whose scope and training are checked"),
            user=user.get_username(), performer=performer.get_username())})
    return found


def time_error(session, when):
    """Why ``when`` cannot be an injection of ``session`` (None if it can): an injection lies
    within a day of its session's start; anything else is a typing error or another session."""
    if when is None:
        return None
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    if abs((when - session.started_at).total_seconds()) > 24 * 3600:
        return _("The injection lies more than a day from its session (%(start)s); record it in a session of "
                 "that day.") % {"start": l10n.moment(session.started_at)}
    return None


# A practitioner's scope is the law's, not a clinical judgement: no override lifts it.
NOT_OVERRIDABLE = {"scope_of_practice", "scope_unknown"}


def _check_entry(session, injection):
    """The injector must work in the session's clinic; the product must be the clinic's and
    hold the drug and strength entered."""
    performer, product = injection.get("performed_by"), injection.get("product")
    clinic = session.patient.clinic_id
    if performer is not None and not Membership.objects.filter(user=performer, clinic=clinic).exists():
        raise TreatmentError("performed_by", _("The injecting practitioner does not work in this clinic."))
    if product is not None:
        if product.clinic_id != clinic:
            raise TreatmentError("product", _("Not a product of this clinic."))
        if product.drug != injection["drug"] or Decimal(product.concentration_percent) != Decimal(
                str(injection["concentration_percent"])):
            raise TreatmentError("product", _("%(product)s is %(drug)s %(conc)s %%, not what was entered.")
                                 % {"product": product.name, "drug": product.get_drug_display(),
                                    "conc": l10n.number(product.concentration_percent)})


def _drawn_from(session, injection):
    """The lot in stock ``injection`` draws from (its product, lot and expiry filled from
    it), or None; a refused lot is a TreatmentError on its field."""
    try:
        return choose_lot(session.clinic_id, injection)
    except StockError as error:
        raise TreatmentError(error.field, error.message) from None


def add_injection(session, injection, user, request=None, override_reason=""):
    """Check and save one injection; return it. Raises TreatmentError when refused."""
    if session.signed:
        raise TreatmentError("session", _("This session is signed; add an amendment instead."), status=409)
    # The entered fields first, so the safety engine only ever sees valid data.
    injection = dict(injection)
    if injection.get("time") is not None and timezone.is_naive(injection["time"]):
        injection["time"] = timezone.make_aware(injection["time"])
    injection["performed_by"] = injection.get("performed_by") or user
    if time_error(session, injection.get("time")):
        raise TreatmentError("time", time_error(session, injection["time"]))
    lot = _drawn_from(session, injection)
    _check_entry(session, injection)
    item = Injection(session=session, order=0, mg=0, cumulative_mg=0, verdict="ok", **injection)
    item.full_clean(exclude=["session", "order", "mg", "cumulative_mg", "verdict", "reasons"])
    override_reason = (override_reason or "").strip()
    with transaction.atomic():
        if Session.objects.select_for_update().get(pk=session.pk).signed:
            raise TreatmentError("session", _("This session is signed; add an amendment instead."), status=409)
        if lot is not None:
            try:
                ensure_available(lot, session, injection["volume_ml"])
            except StockError as error:
                raise TreatmentError(error.field, error.message) from None
        result, verdict, kb = safety_preview(session, injection, user)
        refused = _refusal(session, verdict, user, override_reason)
        if refused is None:
            item = _save_checked(session, item, verdict, kb, user, override_reason, request)
    if refused is not None:
        # The attempt is kept even though nothing was saved: who tried, what the check said.
        with transaction.atomic():
            record("create", request=request, user=user, patient=session.patient, object_type="refused_injection",
                   object_id=str(session.pk),
                   detail={"session": session.pk, "refused": True, "verdict": verdict["verdict"],
                           "codes": [r["code"] for r in verdict["reasons"]],
                           "blocking": [r["code"] for r in verdict["reasons"] if r["verdict"] == "block"],
                           "target": injection["target"], "mg": verdict["mg"],
                           "performed_by": injection["performed_by"].get_username(),
                           "override": False, "override_reason_given": bool(override_reason),
                           "refusal": refused.message})
        raise refused
    return item


def _refusal(session, verdict, user, override_reason):
    """Why the checked injection may not be saved (a TreatmentError), or None."""
    scope = [r for r in verdict["reasons"] if r["code"] in NOT_OVERRIDABLE and r["verdict"] == "block"]
    if scope:
        return TreatmentError("performed_by", _("Outside the injecting practitioner's scope of practice: "
                                                "%(reasons)s. No override lifts it.")
                              % {"reasons": wording.reasons(scope)})
    if verdict["verdict"] == "block":
        if not is_physician(user) or not (membership_for(user, session.patient) or Membership()).can_sign:
            return TreatmentError("override_reason", _("Blocked by the safety check: %(reasons)s. Only a "
                                                       "physician can override a block.")
                                  % {"reasons": wording.reasons(verdict["reasons"])})
        if not override_reason:
            return TreatmentError("override_reason", _("Blocked by the safety check: %(reasons)s. To go ahead, "
                                                       "write why.")
                                  % {"reasons": wording.reasons(verdict["reasons"])})
    return None


def _save_checked(session, item, verdict, kb, user, override_reason, request):
    """Save an injection the check let through (or a physician overrode), with its audit event."""
    if verdict["verdict"] != "block":
        override_reason = ""  # nothing to override
    # Numbers are never reused: a removed injection keeps its number in the versions.
    numbers = [session.injections.aggregate(n=Max("order"))["n"],
               Injection.versions.filter(clinic_id=session.clinic_id, session_id=session.pk)
               .aggregate(n=Max("order"))["n"]]
    item.order = max((n for n in numbers if n is not None), default=0) + 1
    item.mg = Decimal(str(verdict["mg"]))
    item.cumulative_mg = Decimal(str(verdict["cumulative_mg"]))
    item.verdict = verdict["verdict"]
    item.reasons = wording.stored(verdict["reasons"])  # English, with each reason's phrase to show it in any language
    item.override_reason = override_reason
    item.overridden_by = user if override_reason else None
    item.save()
    if not session.knowledge_version:
        session.knowledge_version = remember(kb)
        session.save(update_fields=["knowledge_version"])
    record("create", request=request, user=user, patient=session.patient, obj=item,
           detail={"session": session.pk, "verdict": verdict["verdict"],
                   "performed_by": item.performed_by.username,
                   "codes": [r["code"] for r in verdict["reasons"]],
                   **({"override_reason": override_reason} if override_reason else {}),
                   **({"stock_lot": item.stock_lot_id, "lot": item.lot} if item.stock_lot_id else {})})
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
        transaction.on_commit(lambda: session_signed.send(sender=Session, session=session, user=user))
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


# --- Changes to a draft: a late response, a mistaken injection, an empty draft -------------

RESPONSE_FIELDS = ("onset_seconds", "relief_percent", "duration_hours")


def _draft(session):
    """Lock the session for a change and refuse a signed one."""
    fresh = Session.objects.select_for_update().get(pk=session.pk)
    if fresh.signed:
        raise TreatmentError("session", _("This session is signed; add an amendment instead."), status=409)
    return fresh


def _number(value):
    return None if value is None else str(value)


def record_response(injection, values, user, request=None):
    """Add or correct the response to a saved injection (onset, relief, how long it lasted)
    while its session is a draft. Returns the names of the fields that changed; the
    injection's versions keep the earlier values."""
    session = injection.session
    with transaction.atomic():
        _draft(session)
        changed = [name for name in RESPONSE_FIELDS if getattr(injection, name) != values.get(name)]
        if not changed:
            return []
        before = {name: _number(getattr(injection, name)) for name in changed}
        for name in changed:
            setattr(injection, name, values.get(name))
        injection._history_user = user
        injection._change_reason = "response recorded"
        try:
            injection.save(update_fields=changed)
        except SignedSessionError as error:
            raise TreatmentError("session", error.messages[0], status=409) from None
        record("update", request=request, user=user, patient=session.patient, obj=injection,
               detail={"session": session.pk, "order": injection.order, "fields": changed, "before": before,
                       "after": {name: _number(getattr(injection, name)) for name in changed}})
    return changed


def remove_injection(injection, user, reason, request=None):
    """Remove a mistaken injection from a draft, saying why. Its versions keep it, with its
    removal (who, when, why); the running total of the injections after it drops its dose.
    An injection that an adverse event or a follow-up report refers to stays."""
    reason = (reason or "").strip()
    if not reason:
        raise TreatmentError("reason", _("Say why the injection is removed."))
    session = injection.session
    with transaction.atomic():
        _draft(session)
        if injection.adverse_events.exists():
            raise TreatmentError("injection", _("An adverse event is recorded after injection #%(n)s, so it was "
                                                "given: it cannot be removed.") % {"n": injection.order})
        if injection.follow_ups.exists():
            raise TreatmentError("injection", _("A follow-up report refers to injection #%(n)s, so it was given: it "
                                                "cannot be removed.") % {"n": injection.order})
        pk, order = injection.pk, injection.order
        detail = {"session": session.pk, "order": order, "target": injection.target, "drug": injection.drug,
                  "volume_ml": _number(injection.volume_ml), "mg": _number(injection.mg),
                  "verdict": injection.verdict, "reason": reason}
        injection._history_user = user
        injection._change_reason = reason
        try:
            injection.delete()
        except SignedSessionError as error:
            raise TreatmentError("session", error.messages[0], status=409) from None
        total = Decimal(0)
        for later in session.injections.order_by("order", "id"):
            total += later.mg
            if later.cumulative_mg != total:
                later.cumulative_mg = total
                later._history_user = user
                later._change_reason = f"running total without #{order}"
                later.save(update_fields=["cumulative_mg"])
        record("delete", request=request, user=user, patient=session.patient, object_type="injection",
               object_id=str(pk), detail=detail)


def removed_injections(session):
    """The injections removed from ``session``, newest first: their last version, with who
    removed them, when and why."""
    return list(Injection.versions.filter(clinic_id=session.clinic_id, session_id=session.pk, history_type="-")
                .select_related("history_user").order_by("-history_date", "-history_id"))


def discard_draft(session, user, request=None):
    """Delete a draft in which nothing was recorded (started by mistake); audited."""
    with transaction.atomic():
        fresh = _draft(session)
        held = [label for label, part in ((_("injections"), fresh.injections), (_("NRS scores"), fresh.scores),
                                          (_("adverse events"), fresh.adverse_events),
                                          (_("follow-up reports"), fresh.follow_ups)) if part.exists()]
        if fresh.notes.strip():
            held.append(_("notes"))
        if held:
            raise TreatmentError("session", _("Only an empty draft can be discarded; this one holds %(parts)s.")
                                 % {"parts": ", ".join(held)})
        pk = fresh.pk
        detail = {"started_at": fresh.started_at.isoformat(), "plan": fresh.plan_id,
                  "practitioner": fresh.practitioner.get_username() if fresh.practitioner else None,
                  "removed_injections": Injection.versions.filter(clinic_id=fresh.clinic_id, session_id=pk,
                                                                  history_type="-").count()}
        fresh.delete()
        record("delete", request=request, user=user, patient=session.patient, object_type="session",
               object_id=str(pk), detail=detail)


def is_empty(session, injections, scores, events, follow_ups):
    """Nothing recorded in the draft yet (from what the page has loaded already)."""
    return not (session.signed or injections or scores or events or follow_ups or session.notes.strip())


def session_budget(session, injections, strip, chart=None):
    """The session's dose budget for the injection list's gauge: the engine's budget at the
    last injection of the session, or now while the session's window is still open (then it
    is the strip's). ``chart``: the strip's chart, if loaded. Returns (budget, its moment)."""
    now = timezone.now()
    last = max((i.time for i in injections), default=session.started_at)
    window = strip["budget"]["window_hours"]
    # A time stored before the app refused it (year 1, say) has no window to compute: the
    # page shows today's, and `segmenta dates check` lists the session for correction.
    if (last <= now and (now - last).total_seconds() < window * 3600) or when_problem(last):
        return strip["budget"], now
    return strip_facts(session.patient, now=last, chart=chart)["budget"], last


def gauge(budget):
    """The budget as the injection list's gauge: per drug, how much of its limit is used
    (the drugs share one limit, so each shows the whole window's share in its own mg)."""
    return [{"drug": drug, "limit_mg": b["limit_mg"], "left_mg": b["left_mg"],
             "used_mg": round(max(0.0, b["limit_mg"] - b["left_mg"]), 1), "over": budget["share_used"] >= 1}
            for drug, b in budget["drugs"].items()]
