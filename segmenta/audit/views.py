from django.core.paginator import Paginator
from django.shortcuts import render

from segmenta.accounts.access import clinic_admin_required

from .forms import AuditSearchForm
from .query import search


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
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/search.html", {"form": form, "page": page, "filter_query": query.urlencode()},
                  status=400 if form.errors else 200)
