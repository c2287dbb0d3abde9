"""Where a treatment plan's course stands: is a reassessment due?

Pure Python (no Django). A plan says after which session it is reassessed (3–5, the
clinician's choice; the reference speaks of reassessing "after the first 3–5 treatments").
The reassessment falls due when the course reaches that session and stays due until a
decision is recorded at or after it (the review). Then the next one falls due the same
number of sessions later: a plan reassessed after session 3 is looked at again after
session 6, 9, … — Segmenta's reading of the plan's interval, not a published rule.
"""


def reassessment(reassess_after, session_times, review_times, active=True):
    """The plan's reassessment state.

    ``session_times``: when each of the plan's sessions started (any order);
    ``review_times``: when each decision at a reassessment was recorded. Returns
    ``{"due": bool, "at_session": n, "sessions": count}``: while due, ``at_session`` is
    the session after which it fell due; otherwise the session after which the next one
    falls due. A plan that is no longer active is never due.
    """
    if not isinstance(reassess_after, int) or reassess_after < 1:
        raise ValueError(f"reassess_after: must be a whole number of sessions above 0, not {reassess_after!r}")
    sessions = sorted(session_times)
    count = len(sessions)
    reached = count // reassess_after * reassess_after  # the latest due point the course has reached
    if not active or reached == 0:
        return {"due": False, "at_session": reached + reassess_after, "sessions": count}
    reached_at = sessions[reached - 1]
    if any(review >= reached_at for review in review_times):
        return {"due": False, "at_session": reached + reassess_after, "sessions": count}
    return {"due": True, "at_session": reached, "sessions": count}
