"""Learn's patient leaflets: each previewed and printed in any language Segmenta offers,
with the letterhead and phone of the clinic chosen (``?clinic=``, else the user's first).
No patient is named, so nothing is kept: printing for a patient, with its record, is on the
patient's documents page."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from segmenta.accounts.access import chosen_clinic
from segmenta.knowledge import localize
from segmenta.knowledge.service import for_clinic

from . import leaflets


def _chosen(request, leaflet_id):
    clinic, clinics = chosen_clinic(request)
    clinic = clinic or (clinics[0] if clinics else None)
    kb = for_clinic(clinic)
    language = request.GET.get("language") or localize.language()
    if language not in leaflets.LANGUAGES:
        language = localize.language()
    context = leaflets.content(kb, leaflet_id, language, clinic)
    if context is None:
        raise Http404("no such leaflet")
    return kb, clinic, clinics, context


@login_required
@require_safe
def leaflet_list(request):
    clinic, _clinics = chosen_clinic(request)
    kb = for_clinic(clinic)
    return render(request, "learning/leaflets.html", {
        "leaflets": [{"id": key, "title": title, "languages": [
            (code, name, leaflets.translated_into(kb.get("leaflet", key), code)) for code, name in settings.LANGUAGES]}
            for key, title in leaflets.all_of(kb)]})


@login_required
@require_safe
def leaflet_view(request, leaflet_id):
    kb, clinic, clinics, context = _chosen(request, leaflet_id)
    body = leaflets.body(context)
    query = f"?language={context['asked']}" + (f"&clinic={clinic.pk}" if clinic and len(clinics) > 1 else "")
    return render(request, "learning/leaflet_page.html", {
        **context, "body": body, "languages": settings.LANGUAGES, "clinics": clinics,
        "pdf_url": reverse("learning:leaflet_pdf", args=[leaflet_id]) + query,
        "evidence": [(part["heading"], localize.evidence_label(part["evidence"]), part["sources"])
                     for part in context["sections"]]})


@login_required
@require_safe
def leaflet_pdf(request, leaflet_id):
    _kb, _clinic, _clinics, context = _chosen(request, leaflet_id)
    pdf = leaflets.printed(context, leaflets.body(context))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (f'attachment; filename="leaflet-{leaflet_id}-{context["language"]}-'
                                       f'{timezone.localdate().isoformat()}.pdf"')
    return response
