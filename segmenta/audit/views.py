from django.apps import apps
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from segmenta.accounts.access import clinic_admin_required

from .forms import AuditSearchForm
from .query import search


# What the trail records that is not a model of its own.
OBJECT_LABELS = {
    "patient_list": _("patient list"), "assessment": _("assessment"), "red_flags": _("red flags"),
    "refused_injection": _("refused injection"), "research_export": _("research export"),
    "responses": _("questionnaire answers"), "totpdevice": _("second factor"),
    "fhir_bulk_export": _("FHIR bulk export"),
}


def object_label(object_type):
    """An event's object as an admin reads it ("pregnancy status", not "pregnancystatus"):
    the model's own verbose name, whichever app it lives in, else the trail's own words."""
    if object_type in OBJECT_LABELS:
        return OBJECT_LABELS[object_type]
    for config in apps.get_app_configs():
        model = config.models.get(object_type)
        if model is not None:
            return model._meta.verbose_name
    return object_type.replace("_", " ")


@clinic_admin_required
def audit_search(request):
    form = AuditSearchForm(request.GET or None)
    page = None
    if form.is_valid() or not request.GET:
        data = form.cleaned_data if request.GET else {}
        events = search(
            request.user, patient=data.get("patient"), username=data.get("user"), action=data.get("action"),
            date_from=data.get("date_from"), date_to=data.get("date_to"),
        )
        page = Paginator(events.select_related("patient"), 100).get_page(request.GET.get("page"))
        for event in page:
            event.object_label = object_label(event.object_type) if event.object_type else ""
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/search.html", {"form": form, "page": page, "filter_query": query.urlencode()},
                  status=400 if form.errors else 200)
