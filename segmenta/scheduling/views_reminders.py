"""Pages of reminders and recall: a patient's channel choices with what was sent to them, a
practitioner's calendar feed (its page and the feed itself) and the clinic's recall list."""

import datetime

from dateutil.relativedelta import relativedelta
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Prefetch, Q, Subquery
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from segmenta.accounts.access import chosen_clinic
from segmenta.accounts.models import Membership
from segmenta.audit.trail import record
from segmenta.knowledge.service import for_clinic
from segmenta.outcomes.models import Response
from segmenta.patients.audit import record_list_view
from segmenta.patients.models import Patient
from segmenta.treatment.models import PlanReview, Session, TreatmentPlan

from . import ical, recall, reminders
from .models import Appointment
from .models_reminders import CalendarFeed, Channel, ContactPreference, Message, RecallHandled

CATEGORY_LABELS = {
    recall.REASSESSMENT_DUE: gettext_lazy("Reassessment due"),
    recall.ENDED_WITHOUT_REASSESSMENT: gettext_lazy("Course ended without a reassessment"),
    recall.FOLLOW_UP: gettext_lazy("Follow-up due"),
    recall.LAPSED: gettext_lazy("Lapsed course"),
}


# --- The patient's channel choices ---------------------------------------------------------

class ContactPreferenceForm(forms.ModelForm):
    class Meta:
        model = ContactPreference
        fields = ["email_reminders", "sms_reminders", "recall_messages"]


@login_required
def contact_preferences(request, pk):
    patient = Patient.objects.for_user_or_404(request.user, pk)
    prefs = reminders.preference(patient)
    form = ContactPreferenceForm(request.POST or None, instance=prefs)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save(commit=False)
            saved.updated_by = request.user
            saved.save()
            record("update", request=request, patient=patient, obj=saved,
                   detail={name: form.cleaned_data[name] for name in form.Meta.fields})
        messages.success(request, _("Contact preferences saved."))
        return redirect("reminders:contact", pk=patient.pk)
    sent = list(Message.objects.filter(patient=patient).select_related("appointment")[:50])
    for message in sent:
        message.reason_label = reminders.reason_label(message)
    record("view", request=request, patient=patient, object_type="messages", object_id=str(patient.pk))
    return render(request, "scheduling/contact_preferences.html", {
        "patient": patient, "form": form, "sent": sent,
        "has_email": bool(patient.email.strip()), "has_phone": bool(patient.phone.strip())},
        status=400 if form.errors else 200)


# --- The calendar feed ---------------------------------------------------------------------

def _clinic(request):
    clinic, clinics = chosen_clinic(request)
    if clinic is None:
        raise Http404
    return clinic, clinics


def _active_feed(clinic, user):
    return CalendarFeed.objects.filter(clinic=clinic, practitioner=user, revoked_at__isnull=True).first()


@login_required
def feed_page(request):
    """The practitioner's own feed: make one, renew it (a new address, the old one stops) or
    revoke it. The address is shown once, right after it is made."""
    clinic, clinics = _clinic(request)
    url = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action not in ("create", "revoke"):
            messages.error(request, _("Choose to make a new address or to revoke the current one."))
            return redirect(reverse("reminders:feed_page") + f"?clinic={clinic.pk}")
        with transaction.atomic():
            revoked = CalendarFeed.objects.filter(clinic=clinic, practitioner=request.user,
                                                  revoked_at__isnull=True).update(revoked_at=timezone.now())
            if revoked:
                record("delete", request=request, clinic=clinic, object_type="calendarfeed",
                       detail={"revoked": revoked})
            if action == "create":
                feed, raw = CalendarFeed.issue(clinic, request.user)
                record("create", request=request, clinic=clinic, obj=feed)
                url = request.build_absolute_uri(reverse("reminders:feed", args=[raw]))
        if action == "revoke":
            messages.success(request, _("The calendar address is revoked: calendar apps no longer get updates."))
            return redirect(reverse("reminders:feed_page") + f"?clinic={clinic.pk}")
    return render(request, "scheduling/feed.html", {
        "clinic": clinic, "clinics": clinics, "feed": _active_feed(clinic, request.user), "url": url,
        "days_back": ical.DAYS_BACK})


def feed(request, token):
    """The feed itself: no login (calendar apps cannot log in), the secret address is the key;
    an unknown or revoked one answers 404. Every fetch is audited."""
    found = CalendarFeed.find(token)
    # A practitioner who left the clinic (or whose account was closed) takes no appointments
    # along: the address stops working with their access, not only when someone revokes it.
    if found is None or not found.practitioner.is_active or not Membership.objects.filter(
            user_id=found.practitioner_id, clinic_id=found.clinic_id).exists():
        raise Http404
    appointments = list(ical.feed_appointments(found))
    body = ical.calendar(found, appointments, request.get_host().split(":")[0])
    with transaction.atomic():
        CalendarFeed.objects.filter(pk=found.pk).update(last_fetched_at=timezone.now())
        record("view", request=request, user=found.practitioner, clinic=found.clinic, obj=found,
               detail={"appointments": len(appointments), "via": "calendar feed"})
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    return response


# --- The recall list -----------------------------------------------------------------------

def _start_of(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def candidate_plans(clinic, today, rules, plan_ids=None):
    """The clinic's plans that may be on the recall list ``today``, narrowed in the database
    (so a clinic's years of closed, reviewed courses are not read on every view): the rules in
    ``recall`` then decide on these alone. Each condition is a little wider than its rule (a
    day or a few either side, for local dates and month ends), never narrower:

    - active and reached its reassessment (sessions ≥ reassess_after) with no decision since
      its last session, or its last session (else the plan's day) older than the lapse period;
    - ended with sessions, and either without any decision and not marked handled, or its last
      session inside a follow-up point's window.
    """
    sessions = Session.objects.filter(clinic=clinic, plan=OuterRef("pk")).order_by().values("plan")
    reviews = PlanReview.objects.filter(clinic=clinic, plan=OuterRef("pk")).order_by().values("plan")
    plans = TreatmentPlan.objects.filter(clinic=clinic, patient__restricted_at__isnull=True).annotate(
        held=Subquery(sessions.annotate(n=Count("id")).values("n")),
        last_session=Subquery(sessions.annotate(last=Max("started_at")).values("last")),
        last_review=Subquery(reviews.annotate(last=Max("decided_at")).values("last")))
    if plan_ids is not None:
        plans = plans.filter(pk__in=plan_ids)
    day = datetime.timedelta(days=1)
    window = datetime.timedelta(days=rules["follow_up"]["window_days"])
    lapse_before = _start_of(today - datetime.timedelta(days=rules["lapsed"]["after_days"])) + day
    active = Q(status=TreatmentPlan.Status.ACTIVE)
    reassessment = Q(held__gte=F("reassess_after")) & (Q(last_review__isnull=True) | Q(last_review__lt=F("last_session")))
    lapsed = Q(last_session__lt=lapse_before) | Q(last_session__isnull=True, created_at__lt=lapse_before)
    follow_up = Q(pk__in=[])
    # Counting months back from today is not the rules' counting forward from a course's end
    # (30 Nov + 3 months is 28 Feb, but 28 Feb - 3 months is 28 Nov): up to three days apart
    # at month ends, so the bounds are four days wider each side and the rules decide.
    slack = 4 * day
    for months in rules["follow_up"]["after_months"]:
        point = today - relativedelta(months=months)
        follow_up |= Q(last_session__gte=_start_of(point - window) - slack, last_session__lt=_start_of(point) + slack)
    handled = RecallHandled.objects.filter(clinic=clinic, plan=OuterRef("pk"),
                                           category=recall.ENDED_WITHOUT_REASSESSMENT)
    ended = Q(last_review__isnull=True) & ~Exists(handled)
    return plans.filter((active & (reassessment | lapsed)) | (~active & Q(held__gt=0) & (ended | follow_up)))


def recall_rows(clinic, today, plan_ids=None):
    """The clinic's recall rows with their patients, plans and the latest message about each,
    in a fixed number of queries however many plans the clinic has, reading only the plans
    that may be on the list (``candidate_plans``; ``plan_ids`` narrows to those, for an action
    on one row) and what the rules need of them."""
    kb = for_clinic(clinic)
    rules = {rule["id"]: rule for rule in kb.all("recall-rule")}
    plans = list(candidate_plans(clinic, today, rules, plan_ids)
                 .select_related("patient", "patient__clinic", "complaint")
                 .prefetch_related(Prefetch("sessions", Session.objects.filter(clinic=clinic).only(
                     "id", "plan_id", "started_at")),
                                   Prefetch("reviews", PlanReview.objects.filter(clinic=clinic).only(
                                       "id", "plan_id", "decided_at"))))
    patients = {plan.patient_id for plan in plans}
    # A follow-up counts answers within its window around a point that lies in the last window.
    since = _start_of(today - 2 * datetime.timedelta(days=rules["follow_up"]["window_days"] + 1))
    answered = {}
    for patient_id, at in Response.objects.filter(clinic=clinic, patient_id__in=patients,
                                                  answered_at__gte=since).values_list("patient_id", "answered_at"):
        answered.setdefault(patient_id, []).append(timezone.localdate(at))
    booked = set(Appointment.objects.filter(clinic=clinic, patient_id__in=patients, status=Appointment.Status.BOOKED,
                                            starts_at__gte=timezone.now()).values_list("patient_id", flat=True))
    courses = [recall.Course(
        plan_id=plan.pk, patient_id=plan.patient_id, active=plan.status == TreatmentPlan.Status.ACTIVE,
        reassess_after=plan.reassess_after, created_on=timezone.localdate(plan.created_at),
        sessions=[timezone.localdate(s.started_at) for s in plan.sessions.all()],
        reviews=[timezone.localdate(r.decided_at) for r in plan.reviews.all()],
        answered=answered.get(plan.patient_id, []), booked_ahead=plan.patient_id in booked) for plan in plans]
    handled = set(RecallHandled.objects.filter(clinic=clinic, plan__in=[plan.pk for plan in plans])
                  .values_list("key", flat=True))
    found = [row for row in recall.rows(courses, today, rules) if row.key not in handled]
    last_sent = {}
    for message in Message.objects.filter(clinic=clinic, kind=Message.Kind.RECALL,
                                          category__in=[row.key for row in found]).order_by("created_at", "id"):
        last_sent[message.category] = message
    by_plan = {plan.pk: plan for plan in plans}
    return [{"row": row, "plan": by_plan[row.plan_id], "patient": by_plan[row.plan_id].patient,
             "label": CATEGORY_LABELS[row.category], "last": last_sent.get(row.key)} for row in found]


@login_required
def recall_list(request):
    clinic, clinics = _clinic(request)
    today = timezone.localdate()
    entries = recall_rows(clinic, today)
    for entry in entries:
        if entry["last"]:
            entry["last_reason"] = reminders.reason_label(entry["last"])
    record_list_view(request, [e["patient"] for e in entries], {"list": "recall"})
    groups = [{"category": category, "label": label, "entries": [e for e in entries if e["row"].category == category]}
              for category, label in CATEGORY_LABELS.items()]
    return render(request, "scheduling/recall.html", {
        "clinic": clinic, "clinics": clinics, "entries": entries, "groups": groups, "today": today,
        "categories": CATEGORY_LABELS, "channels": Channel.choices,
        "clinic_query": f"?clinic={clinic.pk}" if len(clinics) > 1 else ""})


def _recall_entry(request):
    clinic, _clinics = _clinic(request)
    key = request.POST.get("key", "")
    # The row's plan is named in its key (recall.rows): only that plan is read, not the list.
    plan_id = key.split(":")[1] if key.count(":") >= 1 else ""
    entry = None
    if plan_id.isdigit() and len(plan_id) < 19:
        entry = next((e for e in recall_rows(clinic, timezone.localdate(), plan_ids=[int(plan_id)])
                      if e["row"].key == key), None)
    if entry is None:
        messages.error(request, _("This row is no longer on the recall list."))
    return clinic, entry


def _back(clinic):
    return redirect(reverse("reminders:recall") + f"?clinic={clinic.pk}")


@login_required
@require_POST
def recall_send(request):
    clinic, entry = _recall_entry(request)
    channel = request.POST.get("channel")
    if entry is not None and channel not in Channel.values:
        messages.error(request, _("Choose e-mail or SMS."))
    elif entry is not None:
        message, fresh = reminders.send_recall(entry["patient"], entry["row"], channel, request.user,
                                               request=request)
        if not fresh and message.status in (Message.Status.SENT, Message.Status.SENDING):
            # A second click, or the row sent from another tab today: nothing goes out twice.
            messages.info(request, _("Already sent to %(patient)s today.") % {"patient": entry["patient"]})
        elif message.status == Message.Status.SENT:
            messages.success(request, _("Message sent to %(patient)s.") % {"patient": entry["patient"]})
        else:
            messages.error(request, _("Not sent: %(reason)s.") % {"reason": reminders.reason_label(message)})
    return _back(clinic)


@login_required
@require_POST
def recall_handled(request):
    clinic, entry = _recall_entry(request)
    if entry is not None:
        row = entry["row"]
        try:
            with transaction.atomic():
                handled = RecallHandled.objects.create(patient=entry["patient"], plan=entry["plan"],
                                                       category=row.category, key=row.key, handled_by=request.user)
                record("create", request=request, patient=entry["patient"], obj=handled,
                       detail={"category": row.category, "key": row.key})
        except IntegrityError:
            pass  # marked twice (two tabs): it is handled either way
        messages.success(request, _("Marked as handled."))
    return _back(clinic)

