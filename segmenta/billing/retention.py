"""Issued invoices outlive their chart's retention period: tax law keeps them (Germany: eight
years from the end of the year of issue, §147 AO, §14b UStG; the knowledge base's
``retention`` entry of the clinic's jurisdiction, ``invoice_years``). The purge asks this hold
which charts past their own period must still be kept for their invoices, and keeps them
whole (an invoice needs its patient and its session), saying so in its report."""

from django.db.models import Count, Max

from segmenta.knowledge import retention
from segmenta.knowledge.base import load

from .models import Invoice


def hold(patients, today):
    """{patient id: {"until", "why", "invoices"}} for the ``patients`` whose issued invoices
    must still be kept on ``today`` (or whose jurisdiction names no period for invoices)."""
    by_id = {patient.pk: patient for patient in patients}
    if not by_id:
        return {}
    rows = (Invoice.objects.filter(clinic_id__in={p.clinic_id for p in by_id.values()}, patient_id__in=by_id)
            .exclude(status=Invoice.Status.DRAFT).values("patient_id")
            .annotate(latest=Max("issue_date"), count=Count("id")))
    rules = load().entries["retention"]
    held = {}
    for row in rows:
        patient = by_id[row["patient_id"]]
        rule = retention.rule_for(patient.clinic.jurisdiction, rules)
        status, until = retention.invoices_kept(rule, [row["latest"]])
        if status == retention.NO_INVOICES or (until is not None and until < today):
            continue
        if until is None:
            why = (f"{row['count']} issued invoice(s) kept: no tax retention period for invoices is known for "
                   f"{patient.clinic.jurisdiction or 'a clinic without a jurisdiction'}")
        else:
            # Where the period was read only in secondary sources the report says so (invoice_verified).
            unverified = "" if rule.get("invoice_verified") else "; not verified in the law's official text"
            why = (f"{row['count']} issued invoice(s) kept until {until.isoformat()} by the tax retention period "
                   f"for invoices ({rule['invoice_years']} years from the end of the year of issue{unverified})")
        held[patient.pk] = {"until": until, "why": why, "invoices": row["count"]}
    return held
