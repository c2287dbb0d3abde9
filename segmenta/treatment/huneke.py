"""Classifying test injections: was the response a Huneke (seconds) phenomenon?

Pure Python (no Django). Takes a case (segmenta-case/1) and the knowledge base's
Huneke protocol, whose thresholds a clinic may override. Each entry of ``tests`` is
classified, in input order, as one of:

- ``local``: the tested item lies in the complaint's own region; relief there is
  local anaesthesia, not a Huneke phenomenon;
- ``huneke``: complete relief, immediate onset, lasting long enough (shorter for teeth);
- ``confirmed``: Huneke again, after an earlier Huneke test of the same item for the
  same complaint, lasting at least as long as that one;
- ``partial``: some relief (at least the partial threshold) without meeting the criteria;
- ``negative``: less relief than that.
"""

from segmenta.knowledge.phrases import Number, Phrase, gettext_noop

LOCAL, HUNEKE, CONFIRMED, PARTIAL, NEGATIVE = "local", "huneke", "confirmed", "partial", "negative"

# FDI quadrants 1, 4, 5, 8 lie on the patient's right; 2, 3, 6, 7 on the left.
_TOOTH_SIDE = {"1": "right", "4": "right", "5": "right", "8": "right",
               "2": "left", "3": "left", "6": "left", "7": "left"}


def thresholds(kb):
    """The thresholds this knowledge base sets: the protocol "huneke" criteria.

    They are expert opinion, not measured cut-offs, and a clinic may set its own: pass
    the clinic's base (``service.for_clinic``) and its override of ``criteria`` applies.
    The base's cross-check (``base.HUNEKE_THRESHOLDS``) refuses a base, or an override,
    that leaves any threshold out, so every one read below is a number.
    """
    return dict(kb.get("protocol", "huneke")["criteria"])


def item_regions(item, kb):
    """The item's regions as (region code, side) pairs; CHOIR segments become the
    regions they cover, and a tooth lies in the mouth and jaw on its side."""
    found = []
    for region in item.get("regions", []):
        side = region.get("side")
        if "choir" in region:
            segment = kb.get("choir-segment", region["choir"])
            found.extend((code, side or segment["side"]) for code in segment["regions"])
        else:
            found.append((region["region"], side))
    if item.get("kind") == "tooth" and item.get("tooth"):
        side = _TOOTH_SIDE[item["tooth"][0]]
        found.extend([("mouth", side), ("jaw", side)])
    return found


def _sides_meet(a, b):
    return a is None or b is None or a == b or "both" in (a, b) or "midline" in (a, b)


def lies_in(item, complaint, kb):
    """Does the tested item lie in the complaint's own region?"""
    complaint_regions = item_regions(complaint, kb)
    return any(r == c and _sides_meet(s, t) for r, s in item_regions(item, kb) for c, t in complaint_regions)


def _meets_criteria(test, item, criteria):
    """(meets, reasons): the Huneke criteria checked one by one."""
    relief = test.get("relief_percent")
    onset = test.get("onset_seconds")
    hours = test.get("duration_hours")
    tooth = item.get("kind") == "tooth"
    needed_hours = criteria["duration_hours_min_tooth"] if tooth else criteria["duration_hours_min"]
    reasons = []
    meets = True
    least_relief = _as_written(criteria["relief_percent_min"])
    most_seconds = _as_written(criteria["onset_seconds_max"])
    if relief is None or relief < criteria["relief_percent_min"]:
        meets = False
        reasons.append(Phrase(gettext_noop("relief not recorded %% is not complete (%(least)s %%)"), least=least_relief)
                       if relief is None else
                       Phrase(gettext_noop("relief %(relief)s %% is not complete (%(least)s %%)"),
                              relief=_as_written(relief), least=least_relief))
    if onset is None or onset > criteria["onset_seconds_max"]:
        meets = False
        reasons.append(Phrase(gettext_noop("onset not recorded (at most %(most)s s)"), most=most_seconds)
                       if onset is None else
                       Phrase(gettext_noop("onset after %(onset)s s (at most %(most)s s)"), onset=Number(onset),
                              most=most_seconds))
    if hours is None or hours < needed_hours:
        meets = False
        lasted = {"hours": Number(hours)} if hours is not None else {}
        reasons.append(Phrase(_SHORT[hours is None, tooth], needed=Number(needed_hours), **lasted))
    if meets:
        reasons.append(Phrase(gettext_noop("complete relief within %(onset)s s lasting %(hours)s h (at least "
                                           "%(needed)s h for a tooth)") if tooth else
                              gettext_noop("complete relief within %(onset)s s lasting %(hours)s h (at least "
                                           "%(needed)s h)"),
                              onset=Number(onset), hours=Number(hours), needed=Number(needed_hours)))
    return meets, reasons


def _as_written(value):
    """A threshold or a recorded percentage as Python writes it."""
    return Number(value, english=str(value))


# Relief too short: (duration unrecorded?, a tooth?) -> what the reason says.
_SHORT = {(True, True): gettext_noop("relief lasted an unrecorded time, under the %(needed)s h for a tooth"),
          (True, False): gettext_noop("relief lasted an unrecorded time, under the %(needed)s h required"),
          (False, True): gettext_noop("relief lasted %(hours)s h, under the %(needed)s h for a tooth"),
          (False, False): gettext_noop("relief lasted %(hours)s h, under the %(needed)s h required")}


def _same_pair(a, b):
    return (a["history_id"], a["complaint_id"]) == (b["history_id"], b["complaint_id"])


def _before(a, a_index, b, b_index):
    """Is test ``a`` earlier than test ``b``? By date where both have one, else by order."""
    if a.get("date") and b.get("date") and a["date"] != b["date"]:
        return a["date"] < b["date"]
    return a_index < b_index


def classify(case, kb, criteria=None):
    """{"tests": [{"index", "history_id", "complaint_id", "classification", "reasons"}]}"""
    criteria = criteria or thresholds(kb)
    history = {h["id"]: h for h in case.get("history", [])}
    complaints = {c["id"]: c for c in case.get("complaints", [])}
    tests = case.get("tests", [])
    # First every test on its own, then "confirmed": an earlier test (by date, else by
    # order) of the same item and complaint met the criteria too, and this one lasted
    # at least as long.
    assessed = []
    for index, test in enumerate(tests):
        item = history[test["history_id"]]
        complaint = complaints[test["complaint_id"]]
        relief = test.get("relief_percent")
        if lies_in(item, complaint, kb):
            assessed.append((LOCAL, [Phrase(gettext_noop("the tested item lies in the complaint's own region: relief "
                                                         "there is local anaesthesia, not a Huneke phenomenon"))]))
        elif relief is None:
            assessed.append((PARTIAL, [Phrase(gettext_noop("relief not recorded: the test can neither confirm nor "
                                                           "exclude the item"))]))
        else:
            meets, reasons = _meets_criteria(test, item, criteria)
            if meets:
                assessed.append((HUNEKE, reasons))
            elif relief >= criteria["partial_relief_percent_min"]:
                assessed.append((PARTIAL, [Phrase(
                    gettext_noop("relief of %(relief)s %% (at least %(least)s %%) without meeting every Huneke "
                                 "criterion"), relief=Number(relief),
                    least=_as_written(criteria["partial_relief_percent_min"])), *reasons]))
            else:
                assessed.append((NEGATIVE, [Phrase(gettext_noop("relief of %(relief)s %% is under %(least)s %%"),
                                                   relief=Number(relief),
                                                   least=_as_written(criteria["partial_relief_percent_min"]))]))
    results = []
    for index, (test, (classification, reasons)) in enumerate(zip(tests, assessed)):
        if classification == HUNEKE:
            matched = [other["duration_hours"] for i, (other, (kind, _r)) in enumerate(zip(tests, assessed))
                       if kind == HUNEKE and i != index and _same_pair(other, test) and _before(other, i, test, index)
                       and test["duration_hours"] >= other["duration_hours"]]
            if matched:
                classification = CONFIRMED
                reasons = [*reasons, Phrase(gettext_noop("an earlier test of this item for this complaint met the "
                                                         "criteria too, and this one lasted as long or longer "
                                                         "(%(hours)s h ≥ %(earlier)s h)"),
                                            hours=Number(test["duration_hours"]), earlier=Number(min(matched)))]

        results.append({"index": index, "history_id": test["history_id"], "complaint_id": test["complaint_id"],
                        "classification": classification, "reasons": reasons})
    return {"tests": results}
