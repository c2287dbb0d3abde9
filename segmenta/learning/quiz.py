"""Scoring a course module's quiz. Pure Python: plain data in, plain data out.

A question is ``{"id", "choice": "single" | "multiple", "correct": [option ids]}`` (as in
courses.yaml); an attempt's answers are ``{question id: [chosen option ids]}``.

How each question scores (its credit, 0 to 1):

- single choice: 1 when the one chosen option is the right one, else 0 (also when nothing or
  more than one option was sent).
- multiple choice: each right option ticked earns 1/R and each wrong option ticked costs 1/R
  (R = the number of right options), floored at 0. Ticking every option therefore scores no
  more than the right options minus the wrong ones, so guessing "all of them" does not pay,
  while a learner who finds two of three right options and nothing wrong earns 2/3.
  Options the question does not have are ignored, as are repeats: the order of the ticks
  never matters.

A question counts as right only with full credit. The attempt's score is the mean credit over
the quiz's questions (an unanswered question earns 0) and it passes when
score × 100 ≥ the module's pass percentage, compared exactly (fractions, no rounding), so
4 of 5 right passes an 80 % mark.
"""

from dataclasses import dataclass
from fractions import Fraction

SINGLE, MULTIPLE = "single", "multiple"


class QuizError(ValueError):
    """A quiz that cannot be scored (no questions, a question without its right options)."""


@dataclass(frozen=True)
class QuestionResult:
    question_id: str
    chosen: tuple  # the chosen option ids the question has, sorted
    credit: Fraction

    @property
    def right(self):
        return self.credit == 1


@dataclass(frozen=True)
class QuizResult:
    questions: tuple  # QuestionResult, in the quiz's order
    score: Fraction  # 0..1
    pass_percent: int
    passed: bool

    @property
    def right_count(self):
        return sum(1 for q in self.questions if q.right)

    @property
    def percent(self):
        """The score as a whole percentage for display (rounded down, so a shown 80 % never
        hides a 79.9 % fail)."""
        return int(self.score * 100)


def question_credit(question, chosen):
    """One question's credit (a Fraction 0..1) for the chosen option ids."""
    correct = set(question["correct"])
    if not correct:
        raise QuizError(f"question {question.get('id')!r} has no correct option")
    options = {o["id"] for o in question["options"]} if "options" in question else None
    picked = {c for c in chosen if options is None or c in options}
    if question["choice"] == SINGLE:
        return Fraction(1) if len(picked) == 1 and picked <= correct else Fraction(0)
    if question["choice"] != MULTIPLE:
        raise QuizError(f"question {question.get('id')!r}: unknown choice {question['choice']!r}")
    right, wrong = len(picked & correct), len(picked - correct)
    return max(Fraction(0), Fraction(right - wrong, len(correct)))


def score(questions, answers, pass_percent):
    """Score an attempt: ``questions`` the quiz's questions, ``answers`` {question id: [option
    ids]} (a missing question is unanswered), ``pass_percent`` the module's mark (1–100)."""
    if not questions:
        raise QuizError("a quiz needs at least one question")
    if not 0 < pass_percent <= 100:
        raise QuizError(f"pass_percent must be 1–100, not {pass_percent!r}")
    results = []
    for question in questions:
        chosen = answers.get(question["id"]) or ()
        credit = question_credit(question, chosen)
        options = {o["id"] for o in question.get("options", [])}
        shown = tuple(sorted({c for c in chosen if not options or c in options}))
        results.append(QuestionResult(question["id"], shown, credit))
    total = sum((r.credit for r in results), Fraction(0)) / len(results)
    return QuizResult(tuple(results), total, pass_percent, total * 100 >= pass_percent)
