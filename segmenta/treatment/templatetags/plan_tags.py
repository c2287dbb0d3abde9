"""A treatment plan's state on pages of the floors below (the chart), without their
importing treatment."""

from django import template

from segmenta.treatment.course import reassessment

register = template.Library()


@register.inclusion_tag("treatment/_reassessment_state.html")
def reassessment_state(plan):
    """Reassessment due (after session 3) until a decision is recorded after that session,
    then when the next one falls due. Reads the plan's sessions and reviews as prefetched."""
    state = reassessment(plan.reassess_after, [s.started_at for s in plan.sessions.all()],
                         [r.decided_at for r in plan.reviews.all()], active=plan.status == plan.Status.ACTIVE)
    return {"state": state, "active": plan.status == plan.Status.ACTIVE}
