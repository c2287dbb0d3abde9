"""The clinic's product list and lot search (recalls), the daily emergency-equipment
check, and the pharmacovigilance report of an adverse event (PDF and CSV)."""

import csv
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from segmenta.accounts.access import chosen_clinic, clinics_of, reauth_required
from segmenta.accounts.models import Membership
from segmenta.audit.trail import record
from segmenta.knowledge import localize
from segmenta.pdf import html_to_pdf
from segmenta.spreadsheet import safe_cell

from .emergency import (
    audit_lot_search,
    clinic_kb,
    equipment_items,
    equipment_today,
    lot_injections,
    vigilance_report,
)
from .emergency_forms import EquipmentCheckForm, LotSearchForm, ProductForm
from .models import AdverseEvent, EquipmentCheck, Product
from .vigilance import COLUMNS

# The report's field labels, in COLUMNS order (the CSV header keeps the plain keys).
REPORT_LABELS = {
    "report_id": gettext_lazy("Report"), "report_date": gettext_lazy("Report date"),
    "reporter": gettext_lazy("Reporter"), "reporter_profession": gettext_lazy("Reporter's profession"),
    "clinic": gettext_lazy("Clinic"), "clinic_jurisdiction": gettext_lazy("Jurisdiction"),
    "patient_initials": gettext_lazy("Patient initials"), "patient_age_years": gettext_lazy("Age (years)"),
    "patient_sex": gettext_lazy("Sex"), "patient_weight_kg": gettext_lazy("Weight (kg)"),
    "suspected_drug": gettext_lazy("Suspected drug"), "product": gettext_lazy("Product"),
    "preservative": gettext_lazy("Contains a preservative"), "multi_dose": gettext_lazy("Multi-dose vial"),
    "lot": gettext_lazy("Lot"), "expiry": gettext_lazy("Expiry"), "dose_mg": gettext_lazy("Dose (mg)"),
    "volume_ml": gettext_lazy("Volume (mL)"), "concentration_percent": gettext_lazy("Concentration (%)"),
    "route_target": gettext_lazy("Route and target"), "injection_time": gettext_lazy("Injected at"),
    "reaction": gettext_lazy("Reaction"), "reaction_description": gettext_lazy("Description"),
    "reaction_onset": pgettext_lazy("adverse reaction", "Onset"), "time_to_onset_minutes": gettext_lazy("Time to onset (min)"),
    "severity": gettext_lazy("Severity"), "serious": gettext_lazy("Serious"),
    "seriousness_criteria": gettext_lazy("Seriousness criteria"), "outcome": gettext_lazy("Outcome"),
    "causality_who_umc": gettext_lazy("Causality (WHO-UMC)"), "treatment_given": gettext_lazy("Treatment given"),
    "reported_to_authority_at": gettext_lazy("Reported to the authority"),
}
assert list(REPORT_LABELS) == COLUMNS


def _clinic(request):
    """The clinic a page is about: ?clinic=ID among the user's clinics, else the first; 404 for none."""
    clinic, clinics = chosen_clinic(request)
    if clinic is None:
        raise Http404
    return clinic, clinics


def _may_edit_products(user, clinic):
    membership = Membership.objects.filter(user=user, clinic=clinic).first()
    return membership is not None and membership.can_sign


def _clinic_query(clinic, clinics):
    return "?" + urlencode({"clinic": clinic.pk}) if len(clinics) > 1 else ""


# --- Products ----------------------------------------------------------------------

@login_required
def products(request):
    clinic, clinics = _clinic(request)
    may_edit = _may_edit_products(request.user, clinic)
    form = ProductForm(request.POST or None, clinic=clinic) if may_edit else None
    if request.method == "POST":
        if not may_edit:
            raise Http404
        if form.is_valid() and _save_product(request, form, clinic, "create"):
            messages.success(request, _("Product added."))
            return redirect(reverse("treatment:products") + _clinic_query(clinic, clinics))
    return render(request, "treatment/products.html", {
        "clinic": clinic, "clinics": clinics, "products": clinic.products.all(), "form": form,
        "may_edit": may_edit, "clinic_query": _clinic_query(clinic, clinics),
        "lot_form": LotSearchForm(clinics=[clinic]),
    }, status=400 if form is not None and form.errors else 200)


def _save_product(request, form, clinic, action):
    try:
        with transaction.atomic():
            product = form.save(commit=False)
            product.clinic = clinic
            product.save()
            record(action, request=request, clinic=clinic, obj=product,
                   detail={"name": product.name, "fields": sorted(form.changed_data)})
    except IntegrityError:
        form.add_error("name", _("Your clinic already has a product of this name."))
        return False
    return True


@login_required
def product_edit(request, product_id):
    product = get_object_or_404(Product.objects.filter(clinic__in=clinics_of(request.user)), pk=product_id)
    clinic = product.clinic
    clinics = list(clinics_of(request.user))
    if not _may_edit_products(request.user, clinic):
        raise Http404
    form = ProductForm(request.POST or None, instance=product, clinic=clinic)
    if request.method == "POST" and form.is_valid() and _save_product(request, form, clinic, "update"):
        messages.success(request, _("Product saved."))
        return redirect(reverse("treatment:products") + _clinic_query(clinic, clinics))
    return render(request, "treatment/product_form.html", {"product": product, "form": form, "clinic": clinic,
                                                           "clinic_query": _clinic_query(clinic, clinics)},
                  status=400 if form.errors else 200)


@login_required
def lots(request):
    clinics = list(clinics_of(request.user).order_by("name"))
    form = LotSearchForm(request.GET or None, clinics=clinics)
    results = None
    if request.GET and form.is_valid():
        with transaction.atomic():
            results = list(lot_injections(request.user, form.cleaned_data["lot"], form.cleaned_data["product"]))
            audit_lot_search(request, results, form.cleaned_data["lot"])
    return render(request, "treatment/lots.html", {"form": form, "results": results},
                  status=400 if form.errors else 200)


# --- Emergency equipment -----------------------------------------------------------

@login_required
def equipment_check(request):
    clinic, clinics = _clinic(request)
    kb, _fallback = clinic_kb(clinic)
    items = equipment_items(kb)
    form = EquipmentCheckForm(request.POST or None, items=items)
    if request.method == "POST" and form.is_valid():
        ticked = form.ticked()
        with transaction.atomic():
            check = EquipmentCheck.objects.create(
                clinic=clinic, date=timezone.localdate(), items=ticked, complete=len(ticked) == len(items),
                note=form.cleaned_data["note"].strip(), checked_by=request.user)
            record("create", request=request, clinic=clinic, obj=check,
                   detail={"complete": check.complete,
                           "missing": [i["id"] for i in items if i["id"] not in ticked]})
        if check.complete:
            messages.success(request, _("Emergency equipment checked: everything present."))
        else:
            messages.warning(request, _("Check saved as incomplete: replace what is missing before injecting."))
        back = request.GET.get("next", "")
        if back.startswith("/sessions/") and back.endswith("/") and back[len("/sessions/"):-1].isdigit():
            return redirect(back)
        return redirect(reverse("treatment:equipment_check") + _clinic_query(clinic, clinics))
    return render(request, "treatment/equipment_check.html", {
        "clinic": clinic, "clinics": clinics, "form": form, "today": equipment_today(clinic, kb),
        "entry": localize.entry(kb.get("protocol", "emergency-equipment")),
        "recent": clinic.equipment_checks.select_related("checked_by")[:10],
    }, status=400 if form.errors else 200)


# --- Pharmacovigilance report ------------------------------------------------------

def _event(request, event_id):
    return get_object_or_404(
        AdverseEvent.objects.visible_to(request.user)
        .select_related("session", "session__patient", "session__patient__clinic", "injection",
                        "injection__product"), pk=event_id)


def _filename(event, ext):
    return f"adverse-event-{event.pk}.{ext}"


def _report(request, event_id, fmt):
    """The event and its report's fields (the PDF's in the user's language); the export is audited."""
    event = _event(request, event_id)
    with transaction.atomic():
        row = vigilance_report(event, request.user, printable=fmt == "pdf")
        record("export", request=request, patient=event.session.patient, obj=event,
               detail={"report": "pharmacovigilance", "format": fmt})
    return event, row


@login_required
@reauth_required
def event_report_csv(request, event_id):
    event, row = _report(request, event_id, "csv")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerow({name: safe_cell(value) if isinstance(value, str) else value for name, value in row.items()})
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(event, "csv")}"'
    return response


def report_html(event, row):
    return render_to_string("treatment/vigilance_report.html", {
        "event": event, "rows": [(REPORT_LABELS[c], row[c]) for c in COLUMNS], "row": row})


@login_required
@reauth_required
def event_report_pdf(request, event_id):
    event, row = _report(request, event_id, "pdf")
    pdf = html_to_pdf(report_html(event, row))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_filename(event, "pdf")}"'
    return response


@login_required
@require_POST
def event_reported(request, event_id):
    """Records that the event was reported to the authority. The report date is not part
    of the signed content (like a follow-up), so it may be recorded after signing; it is
    set once and never changed."""
    event = _event(request, event_id)
    with transaction.atomic():
        now = timezone.now()
        updated = AdverseEvent.objects.filter(pk=event.pk, reported_at=None).update(reported_at=now)
        if updated:
            record("update", request=request, patient=event.session.patient, obj=event,
                   detail={"reported_at": now.isoformat()})
    if updated:
        messages.success(request, _("Recorded as reported to the authority."))
    else:
        messages.info(request, _("This event was already recorded as reported."))
    return redirect(reverse("treatment:session", args=[event.session_id]) + "#adverse-events")
