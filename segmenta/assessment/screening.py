"""Which red flags to ask about for a complaint, and what a screening adds to its findings.

Pure Python (no Django). A complaint's body regions and organs select the red-flag
areas (knowledge base, kind ``red-flag-area``); flags of an area marked ``always`` are
asked for every complaint. A complaint with neither regions nor organs gets every
question: where the region is unknown, nothing can be left out.
"""

from segmenta.knowledge import vocabulary
from segmenta.treatment.huneke import item_regions

YES, NO, NOT_ASKED = "yes", "no", "not_asked"
ANSWERS = (YES, NO, NOT_ASKED)


def areas_for(complaint, kb):
    """The red-flag areas (knowledge-base entries, in their order) a complaint touches."""
    regions = {region for region, _side in item_regions(complaint, kb)}
    organs = set(complaint.get("organs", []))
    located = bool(regions or organs)
    return [area for area in kb.all("red-flag-area")
            if area.get("always") or not located
            or regions & set(area["regions"]) or organs & set(area["organs"])]


def questions(complaint, kb):
    """[(area, [red-flag entries])] to ask for the complaint; each flag once, under the
    first of its areas that applies. Derived flags (worked out from the birth date, like
    new pain over 50) are not questions, nor are findings that are no red flag."""
    askable = [kb.get("red-flag", code) for code in vocabulary.codes("finding") if kb.get("red-flag", code)]
    asked = set()
    groups = []
    for area in areas_for(complaint, kb):
        flags = [flag for flag in askable if flag["id"] not in asked
                 and (flag["area"] == area["id"] or area["id"] in flag.get("also_areas", []))]
        asked.update(flag["id"] for flag in flags)
        if flags:
            groups.append((area, flags))
    return groups


def check_answers(answers, codes):
    """Problems with a screening's answers ({code: yes|no|not_asked}) for the asked codes."""
    problems = []
    if not isinstance(answers, dict):
        return ["answers: expected an object of {finding code: yes, no or not_asked}"]
    for code, answer in answers.items():
        if code not in codes:
            problems.append(f"answers.{code}: not a question of this screening")
        elif answer not in ANSWERS:
            problems.append(f"answers.{code}: {answer!r} is not one of yes, no, not_asked")
    for code in codes:
        if code not in answers:
            problems.append(f"answers.{code}: no answer")
    return problems


def findings_after(findings, answers):
    """The complaint's findings after a screening: every "yes" is added (in vocabulary
    order after the ones already recorded). A "no" never removes a recorded finding: a
    red flag is taken off a complaint deliberately, on the complaint itself."""
    added = [code for code in vocabulary.codes("finding") if answers.get(code) == YES and code not in findings]
    return [*findings, *added]
