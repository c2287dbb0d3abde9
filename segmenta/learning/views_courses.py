"""Learn → Courses: the course list with progress, a module's page (objectives and readings
rendered from the knowledge base), its quiz, an attempt's results with the explanations, and
the certificate of completion. Thin: scoring is quiz.py, data access courses.py."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import get_language, gettext_lazy

from segmenta.accounts.access import admin_clinics, chosen_clinic
from segmenta.accounts.models import Membership
from segmenta.audit.trail import record as audit
from segmenta.knowledge import localize
from segmenta.knowledge.service import for_clinic
from segmenta.l10n import DecimalInput
from segmenta.pdf import html_to_pdf

from . import courses, quiz
from .models_courses import CourseAccreditation, ModuleProgress, QuizAttempt


def _context(request):
    """(clinic, knowledge base) of the page: progress is kept per clinic, and the clinic's
    overrides of the knowledge base apply to its readings."""
    clinic, clinics = chosen_clinic(request)
    clinic = clinic or (clinics[0] if clinics else None)
    if clinic is None:
        raise Http404("no clinic")
    return clinic, for_clinic(clinic)


def _module(kb, module_id):
    entry = courses.module(kb, module_id)
    if entry is None:
        raise Http404
    return entry


@login_required
def course_list(request):
    clinic, kb = _context(request)
    progress = courses.progress_of(request.user, clinic)
    best = courses.best_attempts(request.user, clinic)
    rows = []
    for entry in courses.modules(kb):
        done = progress.get(entry["id"])
        rows.append({"entry": localize.entry(entry), "progress": done, "best": best.get(entry["id"]),
                     "opened": len(done.readings_opened) if done else 0, "readings": len(entry["readings"])})
    return render(request, "learning/courses.html", {
        "rows": rows, "complete": courses.completed(kb, progress), "clinic": clinic,
        "passed": sum(1 for r in rows if r["progress"] and r["progress"].passed_at),
        "accreditation": CourseAccreditation.objects.filter(clinic=clinic).first(),
        "may_accredit": admin_clinics(request.user).filter(pk=clinic.pk).exists()})


@login_required
def module_page(request, module_id):
    clinic, kb = _context(request)
    entry = _module(kb, module_id)
    attempts = QuizAttempt.objects.filter(user=request.user, clinic=clinic, module=module_id)[:20]
    progress = courses.progress_of(request.user, clinic).get(module_id)
    opened = set(progress.readings_opened) if progress else set()
    return render(request, "learning/course_module.html", {
        "entry": localize.entry(entry), "readings": courses.readings(kb, entry), "opened": opened,
        "attempts": attempts, "progress": progress, "questions": len(entry["questions"])})


@login_required
def open_reading(request, module_id, kind, entry_id):
    """Counts a reading as opened, then shows its knowledge-base entry."""
    clinic, kb = _context(request)
    entry = _module(kb, module_id)
    reading = next((r for r in entry["readings"] if r["kind"] == kind and r["id"] == entry_id), None)
    if reading is None:
        raise Http404
    courses.open_reading(request.user, clinic, entry, reading)
    return redirect("knowledge:entry", kind, entry_id)


def option_token(user, module_id, question_id, option_id):
    """What the quiz page sends for an option: a keyed digest of it, the same for one learner
    each time. courses.yaml mostly lists the right options first and names them a, b, c;
    options shown in that order with those values would give the answers away."""
    return salted_hmac("segmenta.learning.quiz-option",
                       f"{user.pk}:{module_id}:{question_id}:{option_id}").hexdigest()[:16]


class QuizForm(forms.Form):
    """A module's questions, one field each, named by the question's id: radio buttons for a
    single-choice question, check boxes for a multiple-choice one. Each question's options are
    shown in an order of their own per learner and sent as tokens (``option_token``), which
    ``answers()`` turns back into option ids."""

    def __init__(self, *args, questions, user, module_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        self.option_ids = {}
        for number, question in enumerate(questions, start=1):
            tokens = {o["id"]: option_token(user, module_id, question["id"], o["id"]) for o in question["options"]}
            self.option_ids[question["id"]] = {token: option_id for option_id, token in tokens.items()}
            choices = sorted(((tokens[o["id"]], o["text"]) for o in question["options"]), key=lambda c: c[0])
            label = f"{number}. {question['text']}"
            if question["choice"] == "single":
                field = forms.ChoiceField(label=label, choices=choices, widget=forms.RadioSelect,
                                          error_messages={"required": gettext_lazy("Choose an answer.")})
            else:
                field = forms.MultipleChoiceField(label=label, choices=choices, widget=forms.CheckboxSelectMultiple,
                                                  error_messages={"required": gettext_lazy("Tick at least one answer.")})
                field.help_text = gettext_lazy("Tick every answer that applies.")
            self.fields[question["id"]] = field

    def answers(self):
        """{question id: [option ids]} as ticked."""
        return {qid: [self.option_ids[qid][token] for token in (value if isinstance(value, list) else [value])]
                for qid, value in self.cleaned_data.items()}


@login_required
def quiz_view(request, module_id):
    clinic, kb = _context(request)
    entry = _module(kb, module_id)
    shown = localize.entry(entry)
    form = QuizForm(request.POST or None, questions=shown["questions"], user=request.user, module_id=entry["id"])
    if request.method == "POST":
        if form.is_valid():
            attempt = courses.submit(request.user, clinic, kb, entry, form.answers())
            return redirect("learning:course_attempt", module_id, attempt.pk)
        messages.error(request, _("Answer every question: the ones without an answer are marked."))
    return render(request, "learning/course_quiz.html", {"entry": shown, "form": form})


@login_required
def attempt_view(request, module_id, pk):
    clinic, kb = _context(request)
    entry = _module(kb, module_id)
    attempt = get_object_or_404(QuizAttempt, pk=pk, module=module_id, user=request.user, clinic=clinic)
    shown = localize.entry(entry)
    rows = []
    for question in shown["questions"]:
        chosen = set(attempt.answers.get(question["id"], []))
        correct = set(question["correct"])
        credit = quiz.question_credit(question, chosen)
        backing = question["backed_by"]
        backed = kb.get(backing["kind"], backing["id"])
        rows.append({"question": question, "credit": credit, "right": credit == 1, "partial": 0 < credit < 1,
                     "options": [{"text": o["text"], "chosen": o["id"] in chosen, "correct": o["id"] in correct}
                                 for o in question["options"]],
                     "backing": {**backing, "name": localize.text(backed) if backed else backing["id"]}})
    return render(request, "learning/course_attempt.html", {
        "entry": shown, "attempt": attempt, "rows": rows,
        "changed": attempt.kb_version != kb.version})


def certificate_html(user, clinic, kb, progress, accreditation):
    name = user.get_full_name() or user.get_username()
    rows = [{"name": localize.text(m), "passed_at": progress[m["id"]].passed_at,
             "version": progress[m["id"]].passed_version} for m in courses.modules(kb)]
    return render_to_string("learning/course_certificate.html", {
        "name": name, "clinic": clinic, "rows": rows, "kb_version": kb.version, "accreditation": accreditation,
        "issued": timezone.localdate(), "lang": get_language()})


@login_required
def certificate(request):
    clinic, kb = _context(request)
    progress = courses.progress_of(request.user, clinic)
    if not courses.completed(kb, progress):
        messages.error(request, _("The certificate is issued once every module's quiz is passed."))
        return redirect("learning:courses")
    accreditation = CourseAccreditation.objects.filter(clinic=clinic).first()
    pdf = html_to_pdf(certificate_html(request.user, clinic, kb, progress, accreditation))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="segmenta-course-certificate.pdf"'
    return response


@login_required
def team_view(request):
    """A clinic admin's view of the team's progress: modules passed per member, and whether
    each has completed the course."""
    clinic, kb = _context(request)
    if not admin_clinics(request.user).filter(pk=clinic.pk).exists():
        raise Http404
    module_ids = [m["id"] for m in courses.modules(kb)]
    passed = {}
    for user_id, module_id, passed_at in ModuleProgress.objects.filter(
            clinic=clinic, passed_at__isnull=False, module__in=module_ids).values_list("user_id", "module", "passed_at"):
        passed.setdefault(user_id, {})[module_id] = passed_at
    members = []
    for membership in Membership.objects.filter(clinic=clinic).select_related("user").order_by("user__username"):
        done = passed.get(membership.user_id, {})
        members.append({"user": membership.user, "passed": len(done), "complete": len(done) == len(module_ids),
                        "last": max(done.values()) if done else None})
    return render(request, "learning/course_team.html", {"members": members, "total": len(module_ids),
                                                         "clinic": clinic})


class AccreditationForm(forms.ModelForm):
    class Meta:
        model = CourseAccreditation
        fields = ["accredited_by", "credits", "reference"]
        widgets = {"credits": DecimalInput()}
        help_texts = {"accredited_by": gettext_lazy("The body that accredited this course for CME, "
                                                    "e.g. your state medical chamber.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["credits"].localize = True


def _accreditation_detail(accreditation):
    return {"accredited_by": accreditation.accredited_by, "credits": str(accreditation.credits),
            "reference": accreditation.reference}


@login_required
def accreditation_view(request):
    """A clinic admin records (or withdraws) that the course is accredited CME for the clinic."""
    clinic, _kb = _context(request)
    if not admin_clinics(request.user).filter(pk=clinic.pk).exists():
        raise Http404
    current = CourseAccreditation.objects.filter(clinic=clinic).first()
    if request.method == "POST" and "withdraw" in request.POST:
        if current:
            # Audited with what it said: certificates printed before can still be checked.
            with transaction.atomic():
                audit("delete", request=request, clinic=clinic, obj=current, detail=_accreditation_detail(current))
                current.delete()
            messages.success(request, _("The accreditation was withdrawn: certificates say the course is no "
                                        "accredited CME credit."))
        return redirect("learning:courses")
    form = AccreditationForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        accreditation = form.save(commit=False)
        accreditation.clinic, accreditation.recorded_by = clinic, request.user
        accreditation.recorded_at = timezone.now()
        with transaction.atomic():
            accreditation.save()
            audit("update" if current else "create", request=request, clinic=clinic, obj=accreditation,
                  detail=_accreditation_detail(accreditation))
        messages.success(request, _("The accreditation is recorded; certificates now name it."))
        return redirect(reverse("learning:courses"))
    return render(request, "learning/course_accreditation.html", {"form": form, "current": current,
                                                                  "clinic": clinic})
