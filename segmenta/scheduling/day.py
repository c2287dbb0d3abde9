"""The day's rules, in plain Python: what a visit asks of the patient, and how the day's
lists are split. The page (``today_views``) reads the rows and hands them over as plain data.

A questionnaire falls due at a visit when the visit is the course's reassessment: an
appointment booked as a reassessment, or a visit of a plan whose reassessment is due by the
sessions held before it (``segmenta.treatment.course``, the chart's own rule). At a
reassessment the patient repeats what they answered before, so the report can set baseline
against now (``segmenta.outcomes.reassessment``). A link sent and not yet answered is due too.
"""

from segmenta.treatment.course import reassessment

REASSESSMENT_KIND = "reassessment"


def visit_questionnaires(*, kind, plan=None, answered=(), open_links=()):
    """What this visit asks the patient to answer, or None when nothing is due.

    ``kind``: the appointment type's kind; ``plan``: None or a dict with ``reassess_after``,
    ``active``, ``sessions`` (start times of the plan's sessions held before this visit) and
    ``reviews`` (when each decision at a reassessment was recorded); ``answered``: the
    instruments the patient has answered before; ``open_links``: instruments of links sent
    and not answered. Returns ``{"reassessment": bool, "at_session": n or None,
    "repeat": [instrument…], "open": [instrument…]}``.
    """
    state = None
    if plan is not None:
        state = reassessment(plan["reassess_after"], plan["sessions"], plan["reviews"], active=plan["active"])
    reassess = kind == REASSESSMENT_KIND or bool(state and state["due"])
    open_now = sorted(set(open_links))
    if not reassess and not open_now:
        return None
    return {
        "reassessment": reassess,
        "at_session": state["at_session"] if reassess and state and state["due"] else None,
        # What is already on its way through a link is not asked twice.
        "repeat": sorted(set(answered) - set(open_now)) if reassess else [],
        "open": open_now,
    }


def split_at(items, moment, when):
    """(earlier, since): ``items`` whose ``when(item)`` lies before ``moment``, and the rest
    (unsigned sessions of earlier days and of today), each in the order given."""
    return [i for i in items if when(i) < moment], [i for i in items if when(i) >= moment]


def order_practitioners(practitioners, me):
    """The practitioners' columns: whoever is looking first, the others in their order."""
    return sorted(practitioners, key=lambda p: p != me)
