"""The clinic's stock: what is on the shelf, what runs low or expires, receiving a delivery,
writing units off, and a lot's page with every patient who got it (recall)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from segmenta import l10n
from segmenta.accounts.access import clinics_of

from .emergency import audit_lot_search
from .emergency_views import _clinic, _clinic_query
from .models import Lot
from .stock import shown as stock_shown
from .stock_forms import ReceiveForm, WriteOffForm
from .stockroom import StockError, balances, receive, recall, shelf, write_off


@login_required
def stock(request):
    clinic, clinics = _clinic(request)
    return render(request, "treatment/stock.html", {
        "clinic": clinic, "clinics": clinics, "clinic_query": _clinic_query(clinic, clinics), **shelf(clinic)})


@login_required
def stock_receive(request):
    clinic, clinics = _clinic(request)
    form = ReceiveForm(request.POST or None, clinic=clinic, initial={"product": request.GET.get("product")})
    if request.method == "POST" and form.is_valid():
        try:
            lot, recorded = receive(form, request.user, request=request)
        except StockError as error:
            form.add_error(error.field, error.message)
        else:
            if recorded:
                messages.success(request, _("Received %(n)s units of lot %(lot)s.")
                                 % {"n": form.cleaned_data["quantity_received"], "lot": lot.number})
            else:
                messages.info(request, _("This delivery of lot %(lot)s was recorded already (the form was sent "
                                         "twice); nothing was added.") % {"lot": lot.number})
            return redirect(reverse("treatment:stock") + _clinic_query(clinic, clinics))
    return render(request, "treatment/stock_receive.html", {
        "clinic": clinic, "clinics": clinics, "form": form, "clinic_query": _clinic_query(clinic, clinics)},
        status=400 if form.errors else 200)


def _lot(request, lot_id):
    found = Lot.objects.filter(clinic__in=clinics_of(request.user)).select_related("product", "clinic")
    lot = get_object_or_404(found, pk=lot_id)
    (lot,) = balances([lot], lot.clinic_id)
    return lot


def _lot_page(request, lot, form, status=200):
    with transaction.atomic():
        # Who got this lot: the page shows patients, so each one listed is an audited view.
        injections = list(recall(lot))
        audit_lot_search(request, injections, lot.number)
    clinics = list(clinics_of(request.user).order_by("name"))
    return render(request, "treatment/stock_lot.html", {
        "lot": lot, "form": form, "injections": injections,
        "patients": len({i.session.patient_id for i in injections}),
        "write_offs": lot.write_offs.select_related("written_off_by"),
        "deliveries": list(lot.deliveries.select_related("received_by")),
        "clinic_query": _clinic_query(lot.clinic, clinics)}, status=status)


@login_required
def stock_lot(request, lot_id):
    lot = _lot(request, lot_id)
    return _lot_page(request, lot, WriteOffForm(lot=lot))


@login_required
@require_POST
def stock_write_off(request, lot_id):
    lot = _lot(request, lot_id)
    form = WriteOffForm(request.POST, lot=lot)
    if form.is_valid():
        try:
            item = write_off(lot, form, request.user, request=request)
        except StockError as error:
            form.add_error(error.field, error.message)
        else:
            messages.success(request, _("%(units)s units of lot %(lot)s written off.")
                             % {"units": l10n.number(stock_shown(item.units)), "lot": lot.number})
            return redirect(reverse("treatment:stock_lot", args=[lot.pk]))
    return _lot_page(request, lot, form, status=400)
