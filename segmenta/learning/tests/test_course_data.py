"""courses.yaml as `segmenta kb validate` checks it: every reading and every answer's backing
names an existing knowledge-base entry, right options exist, and each text has German and
Spanish beside it."""

import copy

from segmenta.knowledge import base
from segmenta.knowledge.base import check, load, translation_problems

MODULES = {"science", "segments", "ganglia", "fields", "huneke", "dosing", "outcomes"}


def entries_with(change):
    entries = copy.deepcopy(load().entries)
    change(entries["course-module"])
    return entries


def test_the_course_has_the_seven_modules_with_five_to_eight_questions_each():
    modules = load().all("course-module")
    assert {m["id"] for m in modules} == MODULES
    assert all(5 <= len(m["questions"]) <= 8 for m in modules)
    assert sorted(m["order"] for m in modules) == list(range(1, 8))


def test_a_reading_of_an_unknown_entry_is_refused():
    def change(modules):
        modules["science"]["readings"].append({"kind": "study", "id": "no-such-study"})
    problems = check(entries_with(change))
    assert any("course-module 'science'" in p and "study/no-such-study" in p for p in problems)


def test_a_backing_of_an_unknown_kind_is_refused():
    def change(modules):
        modules["huneke"]["questions"][0]["backed_by"] = {"kind": "rumour", "id": "x"}
    problems = check(entries_with(change))
    assert any("backed_by rumour/x" in p for p in problems)


def test_a_right_answer_that_is_no_option_and_two_right_answers_to_a_single_choice_are_refused():
    def change(modules):
        modules["dosing"]["questions"][0]["correct"] = ["b", "q"]
    problems = check(entries_with(change))
    assert any("correct 'q' is no option" in p for p in problems)
    assert any("exactly one correct option" in p for p in problems)


def test_a_multiple_choice_question_whose_every_option_is_right_is_refused():
    def change(modules):
        question = modules["science"]["questions"][3]
        question["correct"] = [o["id"] for o in question["options"]]
    assert any("at least one wrong option" in p for p in check(entries_with(change)))


def test_an_explanation_without_its_german_text_is_named():
    def change(modules):
        del modules["ganglia"]["i18n"]["de"]["questions"][1]["explanation"]
    problems = translation_problems(entries_with(change))
    assert any("courses.yaml: course-module 'ganglia'" in p and "questions[1].explanation" in p for p in problems)


def test_the_shipped_courses_validate():
    entries = load().entries
    assert not [p for p in check(entries) if "course" in p]
    assert not [p for p in translation_problems(entries) if "courses.yaml" in p]
    assert base.KINDS["course-module"][0] == "courses.yaml"
