"""Who should hear from the practice: the recall list's rules. Pure Python (no Django).

Four kinds of row, each for one treatment plan:

- ``reassessment_due``: an active plan reached its reassessment session without a decision
  recorded at or after it (segmenta.treatment.course, the same rule the chart shows);
- ``ended_without_reassessment``: a course ended (its plan completed or stopped) with
  sessions but no reassessment decision at all;
- ``follow_up``: a course ended, and one of the follow-up points after its last session
  came without a questionnaire answered around it;
- ``lapsed``: an active plan whose last session (or the plan itself) is older than the
  knowledge base's period, with no appointment booked ahead.

The numbers (follow-up months, window, lapse period) come from the knowledge base's
``recall-rule`` entries, passed in as ``rules``; the caller reads the rows from the database.
"""

import datetime
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta

from segmenta.treatment.course import reassessment

REASSESSMENT_DUE = "reassessment_due"
ENDED_WITHOUT_REASSESSMENT = "ended_without_reassessment"
FOLLOW_UP = "follow_up"
LAPSED = "lapsed"
CATEGORIES = (REASSESSMENT_DUE, ENDED_WITHOUT_REASSESSMENT, FOLLOW_UP, LAPSED)


@dataclass(frozen=True)
class Course:
    """What the rules need of one plan. Dates are the clinic's local dates."""

    plan_id: int
    patient_id: int
    active: bool
    reassess_after: int
    created_on: datetime.date
    sessions: list  # the dates of the plan's sessions
    reviews: list  # the dates of its reassessment decisions
    answered: list = field(default_factory=list)  # dates the patient answered any questionnaire
    booked_ahead: bool = False  # an appointment of the patient booked from today on


@dataclass(frozen=True)
class Row:
    category: str
    key: str  # names the row for "handled" and for the messages sent about it
    plan_id: int
    patient_id: int
    due_on: datetime.date
    months: int | None = None  # the follow-up point
    at_session: int | None = None  # the reassessment's session


def ended_on(course):
    """When a course that is no longer active ended: its last session, else the plan's day."""
    return max(course.sessions) if course.sessions else course.created_on


def rows(courses, today, rules):
    """The recall list's rows for ``courses`` on ``today``, oldest due first.

    ``rules``: {"follow_up": {"after_months": [...], "window_days": n}, "lapsed": {"after_days": n}}.
    """
    follow_up, lapsed = rules["follow_up"], rules["lapsed"]
    window = datetime.timedelta(days=follow_up["window_days"])
    lapse = datetime.timedelta(days=lapsed["after_days"])
    found = []
    for course in courses:
        if course.active:
            state = reassessment(course.reassess_after, course.sessions, course.reviews)
            if state["due"]:
                at = state["at_session"]
                found.append(Row(REASSESSMENT_DUE, f"reassessment:{course.plan_id}:{at}", course.plan_id,
                                 course.patient_id, sorted(course.sessions)[at - 1], at_session=at))
            last = max(course.sessions) if course.sessions else course.created_on
            if today - last > lapse and not course.booked_ahead:
                found.append(Row(LAPSED, f"lapsed:{course.plan_id}:{last.isoformat()}", course.plan_id,
                                 course.patient_id, last + lapse + datetime.timedelta(days=1)))
            continue
        if not course.sessions:
            continue  # a plan closed before its first session was no course
        end = ended_on(course)
        if not course.reviews:
            found.append(Row(ENDED_WITHOUT_REASSESSMENT, f"ended:{course.plan_id}", course.plan_id,
                             course.patient_id, end))
        for months in follow_up["after_months"]:
            point = end + relativedelta(months=months)
            if not point <= today <= point + window:
                continue
            if any(point - window <= day <= point + window for day in course.answered):
                continue
            found.append(Row(FOLLOW_UP, f"follow_up:{course.plan_id}:{months}", course.plan_id, course.patient_id,
                             point, months=months))
    return sorted(found, key=lambda row: (row.due_on, CATEGORIES.index(row.category), row.plan_id))
