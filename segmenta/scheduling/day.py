"""The day's rules, in plain Python: what a visit asks of the patient, and how the day's
lists are split. The page (``today_views``) reads the rows and hands them over as plain data.

A questionnaire falls due at a visit when the visit is the course's reassessment: an
appointment booked as a reassessment, or a visit of a plan whose reassessment is due by the
sessions held before it (``segmenta.treatment.course``, the chart's own rule). At a
reassessment the patient repeats what they answered before, so the report can set baseline
against now (``segmenta.outcomes.reassessment``). A link sent and not yet answered is due too.
"""

from segmenta.knowledge.base import VISIT_KINDS
from segmenta.treatment.course import reassessment

REASSESSMENT_KIND = "reassessment"
FOLLOW_UP_KIND = "follow_up"  # the appointment type's kind and the knowledge base's visit kind


def is_reassessment(kind, plan=None):
    """Is this visit the course's reassessment? The one rule the day's page and the reminders
    share: an appointment booked as a reassessment, or a visit of an active plan whose
    reassessment is due by the sessions held before it (``segmenta.treatment.course``, the
    chart's own rule). ``plan``: None or a dict as ``visit_questionnaires`` takes it."""
    return kind == REASSESSMENT_KIND or bool(plan is not None and _state(plan)["due"])


def _state(plan):
    return reassessment(plan["reassess_after"], plan["sessions"], plan["reviews"], active=plan["active"])


def asked_at(instruments):
    """{visit kind: instrument id} from the knowledge base's instruments (their ``asked_at``);
    ValueError unless each visit kind names exactly one."""
    found = {}
    for entry in instruments:
        for visit in (entry.get("asked_at") or {}).get("visits", []):
            if visit not in VISIT_KINDS:
                raise ValueError(f"{entry['id']}: asked_at names {visit!r}, not one of {', '.join(VISIT_KINDS)}")
            if visit in found:
                raise ValueError(f"{visit}: asked for by both {found[visit]} and {entry['id']}")
            found[visit] = entry["id"]
    missing = [visit for visit in VISIT_KINDS if visit not in found]
    if missing:
        raise ValueError(f"no instrument is asked at: {', '.join(missing)}")
    return found


def questionnaire_for(kind, plan, instruments_at):
    """The questionnaire a visit's reminder links to: the reassessment's at the reassessment
    (``is_reassessment``; it comes first, as the course's decision waits on it), a follow-up
    appointment's at a follow-up, else the ordinary visit's."""
    if is_reassessment(kind, plan):
        return instruments_at["reassessment"]
    return instruments_at[FOLLOW_UP_KIND if kind == FOLLOW_UP_KIND else "visit"]


def visit_questionnaires(*, kind, plan=None, answered=(), open_links=()):
    """What this visit asks the patient to answer, or None when nothing is due.

    ``kind``: the appointment type's kind; ``plan``: None or a dict with ``reassess_after``,
    ``active``, ``sessions`` (start times of the plan's sessions held before this visit) and
    ``reviews`` (when each decision at a reassessment was recorded); ``answered``: the
    instruments the patient has answered before; ``open_links``: instruments of links sent
    and not answered. Returns ``{"reassessment": bool, "at_session": n or None,
    "repeat": [instrument…], "open": [instrument…]}``.
    """
    state = _state(plan) if plan is not None else None
    reassess = is_reassessment(kind, plan)
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
