from django import template

register = template.Library()


@register.inclusion_tag("outcomes/_ci_bar.html")
def ci_bar(group):
    """A proportion and its 95 % interval on a 0–100 scale."""
    if not group["n"]:
        return {"show": False}
    low, high = group["ci_low"] * 100, group["ci_high"] * 100
    return {"show": True, "low": round(low, 1), "width": round(high - low, 1),
            "point": round(group["proportion"] * 100, 1), "label": f"{group['proportion'] * 100:.0f} %"}


@register.filter
def group_label(value):
    """A group's code as people read it: regions by their vocabulary label."""
    from django.utils.translation import gettext as _

    from segmenta.knowledge import vocabulary

    if value in vocabulary.codes("region"):
        return _(vocabulary.label("region", value))
    return _(str(value).replace("_", " ").capitalize())
