"""The invoice pages: the list with its filters and the accountant's CSV, a signed session's
draft and its editor, issuing and cancelling (after the password again), the invoice with its
PDF, payments and reminders, and the clinic's billing settings. Only the clinic's
practitioners and admins see invoices; every read and write of one is audited."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from segmenta.accounts.access import admin_clinics, clinic_admin_required, outcome_clinics, reauth_required
from segmenta.audit.trail import record
from segmenta.knowledge import localize
from segmenta.patients.audit import record_list_view
from segmenta.treatment.models import Session

from . import fees, invoices, printing
from .forms import AddLineForm, BillingSettingsForm, ExportForm, PaymentForm
from .invoices import InvoiceError
from .models import Invoice, PaymentReminder, money


def _clinics(request):
    """The clinics whose invoices the user sees (practitioners and admins); 404 for anyone else."""
    clinics = list(outcome_clinics(request.user).order_by("name"))
    if not clinics:
        raise Http404
    return clinics


def _chosen(request, clinics):
    chosen = request.GET.get("clinic")
    found = next((c for c in clinics if str(c.pk) == chosen), None) if chosen else clinics[0]
    if found is None:
        raise Http404
    return found


def _invoice(request, pk, lock=False):
    clinics = _clinics(request)
    return get_object_or_404(Invoice.objects.filter(clinic__in=clinics)
                             .select_related("patient__clinic", "session", "cancels", "clinic"), pk=pk)


def _flash_error(request, error):
    messages.error(request, str(error))


@login_required
@require_safe
def index(request):
    clinics = _clinics(request)
    clinic = _chosen(request, clinics)
    which = request.GET.get("show", "")
    which = which if which in invoices.FILTERS else ""
    today = timezone.localdate()
    found = list(invoices.listed(Invoice.objects.filter(clinic=clinic), which, today)
                 .select_related("patient__clinic").order_by("-issue_date", "-created_at", "-id")[:200])
    rows = [{"invoice": i, "state": invoices.state(i, today)} for i in found]
    # One event naming the patients shown, as every list of patients is audited.
    record_list_view(request, list({i.patient_id: i.patient for i in found}.values()),
                     {"page": "invoices", "show": which, "invoices": [i.pk for i in found]})
    first = today.replace(day=1)
    last_month_end = first - datetime.timedelta(days=1)
    return render(request, "billing/index.html", {
        "clinic": clinic, "clinics": clinics, "rows": rows, "which": which, "filters": [
            ("", _("All")), ("open", _("Open")), ("overdue", _("Overdue")), ("paid", _("Paid")),
            ("cancelled", _("Cancelled")), ("draft", _("Drafts"))],
        "export_form": ExportForm(initial={"date_from": last_month_end.replace(day=1), "date_to": last_month_end}),
        "state_label": invoices.state_label, "is_admin": admin_clinics(request.user).filter(pk=clinic.pk).exists()})


@login_required
@require_POST
def for_session(request, session_id):
    """"Invoice" on a signed session: its draft (begun now from its proposal, or the one begun)."""
    clinics = _clinics(request)
    session = get_object_or_404(Session.objects.filter(clinic__in=clinics).select_related("patient__clinic"),
                                pk=session_id)
    try:
        invoice, created = invoices.draft_for_session(session, request.user, request=request)
    except InvoiceError as error:
        _flash_error(request, error)
        return redirect("treatment:session", session.pk)
    for warning in getattr(invoice, "warnings", []) if created else []:
        messages.warning(request, warning)
    return redirect("billing:edit", invoice.pk)


def _line_changes(request, invoice):
    changes = {}
    for line in invoice.lines.all():
        prefix = f"line-{line.pk}-"
        if f"{prefix}quantity" not in request.POST:
            continue
        changes[line.pk] = {"quantity": request.POST.get(f"{prefix}quantity"),
                            "factor": request.POST.get(f"{prefix}factor", line.factor),
                            "price": request.POST.get(f"{prefix}price"),
                            "justification": request.POST.get(f"{prefix}justification", ""),
                            "remove": request.POST.get(f"{prefix}remove") == "on"}
    return changes


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def edit(request, pk):
    """The draft editor: recipient, each line's quantity, factor and justification, removing
    and adding lines; "Save" keeps the draft, "Issue" moves on to issuing."""
    invoice = _invoice(request, pk)
    if not invoice.is_draft:
        return redirect("billing:detail", invoice.pk)
    error = None
    if request.method == "POST":
        try:
            invoice = invoices.update_draft(
                invoice, request.user, recipient_name=request.POST.get("recipient_name", ""),
                recipient_address=request.POST.get("recipient_address", ""),
                recipient_country=request.POST.get("recipient_country", invoice.recipient_country),
                lines=_line_changes(request, invoice), request=request)
        except InvoiceError as e:
            error = e
        else:
            messages.success(request, _("The draft is saved."))
            return redirect("billing:edit", invoice.pk)
    else:
        record("view", request=request, patient=invoice.patient, obj=invoice, detail={"invoice": "draft"})
    codes = fees.codes(invoice.clinic, invoice.schedule)
    lines = list(invoice.lines.all())
    problems = {p.position: invoices.problem_message(p) for p in printing_problems(lines)}
    # What each line still needs before issuing (its price, a real code number), shown beside it
    # for as long as it needs it.
    notes = {line.pk: found for line, found in invoices.line_notes(invoice, lines)}
    for line in lines:
        line.notes = notes.get(line.pk, [])
        # When saving was refused nothing was stored: each input shows again what was typed,
        # so that correcting the one named field and saving keeps the rest of the edits.
        line.typed = _typed(request, line) if error else None
    return render(request, "billing/edit.html", {
        "invoice": invoice, "patient": invoice.patient, "lines": lines, "problems": problems, "error": error,
        "posted": request.POST if error else None, "add_form": AddLineForm(codes=codes) if codes else None,
        "billing_missing": invoices.settings_of(invoice.clinic).missing(), "money": money,
        "schedule_name": localize.text(fees.schedule(invoice.clinic, invoice.schedule)),
    }, status=400 if error else 200)


def _typed(request, line):
    prefix = f"line-{line.pk}-"
    return {**{name: request.POST.get(f"{prefix}{name}", "") for name in ("quantity", "factor", "price",
                                                                         "justification")},
            "remove": request.POST.get(f"{prefix}remove") == "on"}


def printing_problems(lines):
    from .rules import problems

    return problems(lines)


@login_required
@require_POST
def add_line(request, pk):
    invoice = _invoice(request, pk)
    codes = fees.codes(invoice.clinic, invoice.schedule)
    form = AddLineForm(request.POST, codes=codes)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
        return redirect("billing:edit", invoice.pk)
    try:
        invoices.add_line(invoice, request.user, code_id=form.cleaned_data["code"],
                          quantity=form.cleaned_data["quantity"], factor=form.cleaned_data["factor"],
                          price=form.cleaned_data["price"], request=request)
    except InvoiceError as error:
        _flash_error(request, error)
    return redirect("billing:edit", invoice.pk)


@login_required
@require_POST
def discard(request, pk):
    invoice = _invoice(request, pk)
    patient = invoice.patient
    try:
        invoices.discard(invoice, request.user, request=request)
    except InvoiceError as error:
        _flash_error(request, error)
        return redirect("billing:detail", invoice.pk)
    messages.success(request, _("The draft is discarded."))
    return redirect("patients:detail", patient.pk)


@login_required
@reauth_required
@require_POST
def issue(request, pk):
    invoice = _invoice(request, pk)
    try:
        invoices.issue(invoice, request.user, request=request)
    except InvoiceError as error:
        _flash_error(request, error)
        return redirect("billing:edit", invoice.pk)
    messages.success(request, _("Invoice %(number)s is issued.") % {"number": Invoice.objects.get(
        pk=invoice.pk, clinic=invoice.clinic_id).number})
    return redirect("billing:detail", invoice.pk)


@login_required
@reauth_required
@require_POST
def cancel(request, pk):
    invoice = _invoice(request, pk)
    try:
        reversal = invoices.cancel(invoice, request.user, request=request)
    except InvoiceError as error:
        _flash_error(request, error)
        return redirect("billing:detail", invoice.pk)
    messages.success(request, _("Invoice %(number)s is cancelled by %(cancellation)s.") % {
        "number": invoice.number, "cancellation": reversal.number})
    return redirect("billing:detail", reversal.pk)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def detail(request, pk):
    """An issued invoice: its lines, state, PDF, payments (recorded here) and reminders."""
    invoice = _invoice(request, pk)
    if invoice.is_draft:
        return redirect("billing:edit", invoice.pk)
    today = timezone.localdate()
    form = PaymentForm(request.POST or None, initial={"date": today, "amount": invoices.outstanding(invoice)})
    if request.method == "POST" and form.is_valid():
        try:
            invoices.record_payment(invoice, request.user, request=request, **form.cleaned_data)
        except InvoiceError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            messages.success(request, _("The payment is recorded."))
            return redirect("billing:detail", invoice.pk)
    if request.method != "POST":
        record("view", request=request, patient=invoice.patient, obj=invoice, detail={"invoice": invoice.number})
    state = invoices.state(invoice, today)
    reminders = list(invoice.reminders.all())
    return render(request, "billing/detail.html", {
        "invoice": invoice, "patient": invoice.patient, "lines": list(invoice.lines.all()),
        "payments": list(invoice.payments.all()), "reminders": reminders, "state": state,
        "state_label": invoices.state_label(state), "outstanding": invoices.outstanding(invoice), "form": form,
        "reminder_due": state == "overdue" and len(reminders) < 3, "money": money,
        "may_pay": invoice.status == Invoice.Status.ISSUED and not invoice.is_cancellation and state != "paid",
    }, status=400 if form.errors else 200)


@login_required
@reauth_required
@require_safe
def pdf(request, pk):
    invoice = _invoice(request, pk)
    if invoice.is_draft:
        raise Http404("a draft has no PDF")
    data = printing.invoice_pdf(invoice)
    import hashlib

    with transaction.atomic():
        record("export", request=request, patient=invoice.patient, obj=invoice,
               detail={"invoice": invoice.number, "format": "pdf", "sha256": hashlib.sha256(data).hexdigest()})
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="invoice-{invoice.number}.pdf"'
    return response


@login_required
@require_POST
def remind(request, pk):
    invoice = _invoice(request, pk)
    try:
        reminder = invoices.send_reminder(invoice, request.user, request=request)
    except InvoiceError as error:
        _flash_error(request, error)
    else:
        messages.success(request, _("Reminder %(level)s is recorded; download its letter below.")
                         % {"level": reminder.level})
    return redirect("billing:detail", invoice.pk)


@login_required
@reauth_required
@require_safe
def reminder_pdf(request, pk):
    clinics = _clinics(request)
    reminder = get_object_or_404(PaymentReminder.objects.filter(clinic__in=clinics)
                                 .select_related("invoice__patient__clinic"), pk=pk)
    data = printing.reminder_pdf(reminder)
    with transaction.atomic():
        record("export", request=request, patient=reminder.invoice.patient, obj=reminder,
               detail={"invoice": reminder.invoice.number, "reminder": reminder.level, "format": "pdf"})
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = (f'attachment; filename="reminder-{reminder.level}-'
                                       f'{reminder.invoice.number}.pdf"')
    return response


@login_required
@reauth_required
@require_safe
def export(request):
    """The accountant's CSV of a period's issued and cancellation invoices."""
    clinics = _clinics(request)
    clinic = _chosen(request, clinics)
    form = ExportForm(request.GET)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label}: {' '.join(errors)}" if field in form.fields
                           else " ".join(errors))
        return redirect(reverse("billing:index") + f"?clinic={clinic.pk}")
    start, end = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    with transaction.atomic():
        text = invoices.export_csv(Invoice.objects.filter(clinic=clinic), start, end)
        record("export", request=request, clinic=clinic, object_type="invoice", detail={
            "invoices": "csv", "from": start.isoformat(), "to": end.isoformat(), "rows": text.count("\r\n") - 1})
    response = HttpResponse(text.encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="invoices-{start.isoformat()}-{end.isoformat()}.csv"'
    return response


@login_required
@clinic_admin_required
@reauth_required
@require_http_methods(["GET", "HEAD", "POST"])
def settings_page(request):
    """The clinic's seller data for invoices (clinic admins)."""
    clinics = list(admin_clinics(request.user).order_by("name"))
    if not clinics:
        raise Http404
    clinic = _chosen(request, clinics)
    current = invoices.settings_of(clinic)
    form = BillingSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
            record("update", request=request, clinic=clinic, obj=saved,
                   detail={"billing_settings": sorted(form.changed_data)})
        messages.success(request, _("The billing settings are saved."))
        return redirect(reverse("billing:settings") + f"?clinic={clinic.pk}")
    return render(request, "billing/settings.html", {"form": form, "clinic": clinic, "clinics": clinics},
                  status=400 if form.errors else 200)
