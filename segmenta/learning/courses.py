"""Learn → Courses, the Django side: the course's modules from the knowledge base (in the
reader's language), each practitioner's progress, storing a scored attempt. The scoring itself
is segmenta/learning/quiz.py."""

from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.utils import timezone

from segmenta.knowledge import localize
from segmenta.knowledge.monograph import monograph
from segmenta.knowledge.relations import cited

from . import quiz
from .models_courses import ModuleProgress, QuizAttempt

QUANTUM = Decimal("0.0001")  # the stored score's places (QuizAttempt.score), rounded down as shown


def modules(kb):
    """The course's modules in their order, as the knowledge base holds them (English)."""
    return sorted(kb.all("course-module"), key=lambda m: m["order"])


def module(kb, module_id):
    return kb.get("course-module", module_id)


def reading_key(reading):
    return f"{reading['kind']}/{reading['id']}"


def readings(kb, module_entry):
    """The module's readings rendered from their knowledge-base entries as they are now: name,
    evidence, sources, and the entry page's lead and first section (its Learn monograph), in
    the reader's language."""
    found = []
    for reading in module_entry["readings"]:
        entry = kb.get(reading["kind"], reading["id"])
        if entry is None:  # a clinic override may have removed it; the shipped data cannot
            continue
        shown = localize.entry(entry)
        page = monograph(kb, reading["kind"], entry)
        found.append({"kind": reading["kind"], "id": reading["id"], "key": reading_key(reading),
                      "name": shown.get("name", reading["id"]), "lead": page.lead,
                      "section": page.sections[0] if page.sections else None,
                      "evidence": entry.get("evidence"),
                      "evidence_label": localize.evidence_label(entry["evidence"]) if entry.get("evidence") else "",
                      "sources": cited(kb, entry.get("sources", []))})
    return found


def progress_of(user, clinic):
    """{module id: ModuleProgress} of one practitioner in one clinic."""
    return {p.module: p for p in ModuleProgress.objects.filter(user=user, clinic=clinic)}


def best_attempts(user, clinic):
    """{module id: the best attempt's percent} in one query."""
    best = {}
    for module_id, score in QuizAttempt.objects.filter(user=user, clinic=clinic).values_list("module", "score"):
        best[module_id] = max(best.get(module_id, 0), int(score * 100))
    return best


def open_reading(user, clinic, module_entry, reading):
    """Note that the practitioner opened a reading of the module."""
    with transaction.atomic():
        progress, _created = ModuleProgress.objects.select_for_update().get_or_create(
            user=user, clinic=clinic, module=module_entry["id"])
        key = reading_key(reading)
        if key not in progress.readings_opened:
            progress.readings_opened = [*progress.readings_opened, key]
            progress.save(update_fields=["readings_opened"])
    return progress


def submit(user, clinic, kb, module_entry, answers):
    """Score ``answers`` ({question id: [option ids]}) against the module's quiz and store the
    attempt; the first passing attempt completes the module. Returns the stored attempt."""
    result = quiz.score(module_entry["questions"], answers, module_entry["pass_percent"])
    now = timezone.now()
    with transaction.atomic():
        attempt = QuizAttempt.objects.create(
            user=user, clinic=clinic, module=module_entry["id"], kb_version=kb.version,
            answers={q.question_id: list(q.chosen) for q in result.questions},
            score=(Decimal(result.score.numerator) / result.score.denominator).quantize(QUANTUM, ROUND_DOWN),
            right_count=result.right_count, question_count=len(result.questions),
            pass_percent=result.pass_percent, passed=result.passed, submitted_at=now)
        progress, _created = ModuleProgress.objects.select_for_update().get_or_create(
            user=user, clinic=clinic, module=module_entry["id"])
        if result.passed and progress.passed_at is None:
            progress.passed_at, progress.passed_version = now, kb.version
            progress.save(update_fields=["passed_at", "passed_version"])
    return attempt


def completed(kb, progress):
    """Whether every module of the course is passed."""
    return all(progress.get(m["id"]) and progress[m["id"]].passed_at for m in modules(kb))
