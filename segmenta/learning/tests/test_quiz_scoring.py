"""Scoring a module's quiz (segmenta/learning/quiz.py): single and multiple choice, partial
credit, the pass mark, and properties over random quizzes and answers."""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segmenta.knowledge.base import load
from segmenta.learning.quiz import QuizError, question_credit, score


def single(qid, correct="b", options="abc"):
    return {"id": qid, "choice": "single", "correct": [correct], "options": [{"id": o} for o in options]}


def multiple(qid, correct=("a", "b", "d"), options="abcd"):
    return {"id": qid, "choice": "multiple", "correct": list(correct), "options": [{"id": o} for o in options]}


def test_a_single_choice_question_is_right_only_with_its_one_right_option():
    q = single("q")
    assert question_credit(q, ["b"]) == 1
    assert question_credit(q, ["a"]) == 0
    assert question_credit(q, []) == 0
    assert question_credit(q, ["a", "b"]) == 0  # two ticks on a single-choice question earn nothing


def test_a_multiple_choice_question_gives_partial_credit_and_takes_it_back_for_wrong_ticks():
    q = multiple("q")
    assert question_credit(q, ["a", "b", "d"]) == 1
    assert question_credit(q, ["a", "b"]) == Fraction(2, 3)
    assert question_credit(q, ["a", "b", "c"]) == Fraction(1, 3)
    assert question_credit(q, ["a", "b", "c", "d"]) == Fraction(2, 3)  # ticking everything is no shortcut
    assert question_credit(q, ["c"]) == 0  # floored at zero, never negative


def test_options_the_question_does_not_have_are_ignored():
    assert question_credit(multiple("q"), ["a", "b", "d", "zz"]) == 1
    assert question_credit(single("q"), ["b", "zz"]) == 1


def test_four_of_five_right_passes_an_80_percent_mark_and_three_does_not():
    quiz = [single(f"q{i}") for i in range(5)]
    four = {f"q{i}": ["b"] for i in range(4)}
    result = score(quiz, four, 80)
    assert (result.score, result.passed, result.right_count, result.percent) == (Fraction(4, 5), True, 4, 80)
    three = {f"q{i}": ["b"] for i in range(3)}
    assert score(quiz, three, 80).passed is False


def test_partial_credit_counts_towards_the_mark_but_not_as_a_right_question():
    quiz = [single("s"), multiple("m")]
    result = score(quiz, {"s": ["b"], "m": ["a", "b"]}, 80)
    assert result.score == Fraction(5, 6)
    assert result.passed
    assert [q.right for q in result.questions] == [True, False]


def test_unanswered_questions_earn_nothing():
    result = score([single("a"), single("b")], {"a": ["b"]}, 50)
    assert result.score == Fraction(1, 2) and result.passed
    assert result.questions[1].chosen == ()


def test_a_quiz_without_questions_or_a_pass_mark_out_of_range_is_refused():
    with pytest.raises(QuizError):
        score([], {}, 80)
    with pytest.raises(QuizError):
        score([single("a")], {}, 0)
    with pytest.raises(QuizError):
        question_credit({"id": "x", "choice": "single", "correct": []}, ["a"])


def test_every_shipped_module_scores_full_marks_with_its_right_answers_and_fails_with_wrong_ones():
    for module in load().all("course-module"):
        right = {q["id"]: q["correct"] for q in module["questions"]}
        assert score(module["questions"], right, module["pass_percent"]).score == 1
        wrong = {q["id"]: [o["id"] for o in q["options"] if o["id"] not in q["correct"]][:1]
                 for q in module["questions"]}
        result = score(module["questions"], wrong, module["pass_percent"])
        assert result.score == 0 and not result.passed


OPTION_IDS = "abcdef"


@st.composite
def quizzes_and_answers(draw):
    questions, answers = [], {}
    for index in range(draw(st.integers(1, 8))):
        options = OPTION_IDS[:draw(st.integers(2, 6))]
        choice = draw(st.sampled_from(["single", "multiple"]))
        if choice == "single":
            correct = [draw(st.sampled_from(options))]
        else:
            correct = draw(st.lists(st.sampled_from(options), min_size=1, max_size=len(options) - 1, unique=True))
        questions.append({"id": f"q{index}", "choice": choice, "correct": correct,
                          "options": [{"id": o} for o in options]})
        if draw(st.booleans()):
            answers[f"q{index}"] = draw(st.lists(st.sampled_from(options + "z"), max_size=8))
    return questions, answers


@settings(deadline=None)  # timing varies on a shared machine; the property is what is tested
@given(quizzes_and_answers(), st.integers(1, 100))
def test_the_score_is_always_between_zero_and_one(quiz, mark):
    questions, answers = quiz
    result = score(questions, answers, mark)
    assert 0 <= result.score <= 1
    assert all(0 <= q.credit <= 1 for q in result.questions)
    assert result.passed == (result.score * 100 >= mark)


@settings(deadline=None)  # timing varies on a shared machine; the property is what is tested
@given(quizzes_and_answers(), st.integers(1, 100))
def test_all_right_answers_score_one_and_pass_any_mark(quiz, mark):
    questions, _answers = quiz
    result = score(questions, {q["id"]: list(q["correct"]) for q in questions}, mark)
    assert result.score == 1 and result.passed and result.right_count == len(questions)


@settings(deadline=None)  # timing varies on a shared machine; the property is what is tested
@given(quizzes_and_answers(), st.randoms(use_true_random=False))
def test_the_order_of_ticks_and_of_questions_does_not_change_the_score(quiz, rnd):
    questions, answers = quiz
    shuffled_answers = {}
    for qid, chosen in answers.items():
        chosen = list(chosen)
        rnd.shuffle(chosen)
        shuffled_answers[qid] = chosen
    shuffled_questions = list(questions)
    rnd.shuffle(shuffled_questions)
    assert score(shuffled_questions, shuffled_answers, 80).score == score(questions, answers, 80).score
