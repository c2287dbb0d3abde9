"""A chart with one of everything that can belong to a patient, and a snapshot of all of
it: for the tests of restricted processing, the erasure request and the purge."""

import datetime
from types import SimpleNamespace

from django.utils import timezone

from segmenta.assessment.models import RedFlagScreening
from segmenta.billing.models import Invoice, InvoiceLine, Payment, PaymentReminder
from segmenta.conftest import complete_chart
from segmenta.documents.models import IssuedDocument
from segmenta.interop.models import FieldProposal, ImportedResource, PatientIdentifier, PendingPatient
from segmenta.outcomes.models import Alert, AnswerLink, Response
from segmenta.patients import models as pm
from segmenta.patients.restriction import owners
from segmenta.scheduling.models import (Appointment, AppointmentType, ContactPreference, Message, RecallHandled,
                                       Room)
from segmenta.treatment.models import (AdverseEvent, Amendment, ComplaintScore, FollowUp, Injection, PlanReview,
                                       Session, TreatmentPlan)
from segmenta.treatment.sessions import sign


def build_chart(patient, user):
    """One of everything that can belong to a patient."""
    now = timezone.now()
    complete_chart(patient, user, on=timezone.localdate() - datetime.timedelta(days=1))
    complaint = pm.Complaint.objects.create(patient=patient, description="Shoulder pain", status="active",
                                            regions=[{"region": "shoulder", "side": "right"}], recorded_by=user)
    other = pm.Complaint.objects.create(patient=patient, description="Neck pain", status="active", recorded_by=user)
    history = pm.HistoryItem.objects.create(patient=patient, kind="scar", description="Appendectomy",
                                            regions=[{"choir": 116, "side": "right"}], recorded_by=user)
    pm.WeightMeasurement.objects.create(patient=patient, date=timezone.localdate(), weight_kg=70)
    pm.Allergy.objects.create(patient=patient, substance="Latex", allergy_class="other")
    pm.Medication.objects.create(patient=patient, name="Vitamin D", medication_class="other")
    pm.Condition.objects.create(patient=patient, text="asthma")
    plan = TreatmentPlan.objects.create(patient=patient, complaint=complaint, goals="less pain", created_by=user)
    PlanReview.objects.create(plan=plan, decision="continue", decided_by=user)
    session = Session.objects.create(patient=patient, plan=plan, started_at=now - datetime.timedelta(minutes=30),
                                     practitioner=user)
    empty = Session.objects.create(patient=patient, started_at=now - datetime.timedelta(minutes=20),
                                   practitioner=user)
    signed = Session.objects.create(patient=patient, started_at=now - datetime.timedelta(days=7), practitioner=user)
    sign(signed, user)
    ComplaintScore.objects.create(session=session, complaint=complaint, pre_nrs=6)
    injection = Injection.objects.create(
        session=session, order=1, time=now - datetime.timedelta(minutes=25), target="wheal",
        regions=[{"choir": 107, "side": "right"}], concentration_percent=1, volume_ml=0.5, verdict="ok", mg=5,
        cumulative_mg=5, history_item=history, complaint=complaint, performed_by=user)
    # A second one, with nothing referring to it: a draft's mistaken injection can be removed.
    second = Injection.objects.create(
        session=session, order=2, time=now - datetime.timedelta(minutes=24), target="wheal",
        regions=[{"choir": 108, "side": "right"}], concentration_percent=1, volume_ml=0.5, verdict="ok", mg=5,
        cumulative_mg=10, performed_by=user)
    AdverseEvent.objects.create(session=session, injection=injection, kind="vasovagal",
                                occurred_at=now - datetime.timedelta(minutes=24))
    FollowUp.objects.create(session=session, injection=injection, reported_at=now, reaction="none", recorded_by=user)
    Amendment.objects.create(session=session, author=user, reason="typo", text="NRS was 6, not 5")
    _link, raw = AnswerLink.issue(patient, "nrs-11", user)
    response = Response.objects.create(patient=patient, instrument="phq-9", answered_at=now, total=3, band="minimal",
                                       resource={"resourceType": "QuestionnaireResponse", "item": []})
    alert = Alert.objects.create(patient=patient, response=response, code="self_harm_risk", message="Item 9 above 0")
    RedFlagScreening.objects.create(patient=patient, complaint=complaint, screened_by=user, answers={},
                                    knowledge_version="test")
    IssuedDocument.objects.create(patient=patient, kind="consent-sheet", consent=patient.consents.first(),
                                  technique="wheal", language="en", pdf_sha256="0" * 64, made_by=user)
    # What an import remembers of the patient: the other system's id, a resource taken, a
    # proposed candidate field, and a held patient someone said was this one.
    PatientIdentifier.objects.create(clinic=patient.clinic, patient=patient, system="urn:test", value=f"p-{patient.pk}")
    ImportedResource.objects.create(clinic=patient.clinic, key=f"Patient/p-{patient.pk}", digest="0" * 64,
                                    patient=patient, target=f"patient:{patient.pk}")
    FieldProposal.objects.create(patient=patient, kind="scar", date="2001", description="Tonsillectomy")
    PendingPatient.objects.create(clinic=patient.clinic, key=f"Patient/q-{patient.pk}", name=str(patient),
                                  reason="test", patient=patient)
    # A booked appointment of the plan, opened into the draft session.
    appointment = Appointment.objects.create(
        patient=patient, practitioner=user, plan=plan, session=session, starts_at=now - datetime.timedelta(minutes=30),
        ends_at=now, room=Room.objects.get_or_create(clinic=patient.clinic, name="Room 1")[0],
        type=AppointmentType.objects.get_or_create(clinic=patient.clinic, name="Treatment")[0], created_by=user)
    # Its reminder, the patient's channel choices and a recall row marked handled.
    ContactPreference.objects.create(patient=patient, sms_reminders=False, updated_by=user)
    Message.objects.create(patient=patient, appointment=appointment, kind="reminder", channel="email", status="sent",
                           recipient="erika@example.org", sent_at=now)
    RecallHandled.objects.create(patient=patient, plan=plan, category="lapsed", key=f"lapsed:{plan.pk}:x",
                                 handled_by=user)
    # An issued invoice of the signed session with its line, a payment and a reminder.
    invoice = Invoice.objects.create(patient=patient, session=signed, schedule="goae", recipient_name=str(patient),
                                     recipient_address="Lindenweg 5\n10115 Berlin", created_by=user)
    InvoiceLine.objects.create(invoice=invoice, date=timezone.localdate(), code="267", description="Infiltration",
                               unit_fee="4.6629840", factor="2.30", threshold="2.30", ceiling="3.50", amount="10.72")
    invoice.status, invoice.number, invoice.issue_date, invoice.total = "issued", f"T-{patient.pk}", now.date(), 10.72
    invoice.save()
    Payment.objects.create(invoice=invoice, date=now.date(), amount="5.00", recorded_by=user)
    PaymentReminder.objects.create(invoice=invoice, level=1, date=now.date(), pay_by=now.date(), sent_by=user)
    return SimpleNamespace(patient=patient, complaint=complaint, other_complaint=other, history=history, plan=plan,
                           session=session, empty_session=empty, signed_session=signed, injection=injection,
                           second_injection=second, link=raw, alert=alert)


def snapshot(patient):
    """Every stored value of the patient and of everything that belongs to them."""
    paths, _links = owners()
    found = {}
    for model, path in paths.items():
        rows = model._base_manager.filter(**{path or "pk": patient.pk}).order_by("pk").values()
        found[model._meta.label] = [repr(sorted(row.items())) for row in rows]
    return found


def age(patient, years):
    """Move the chart's sessions, entries, answers and opening ``years`` back in time (a
    test's setup, written past the models as a migration would)."""
    from django.apps import apps
    from django.db.models import F

    delta = datetime.timedelta(days=366 * years)
    Session.objects.filter(patient=patient).update(started_at=F("started_at") - delta)
    for model in apps.get_app_config("patients").get_models():
        if issubclass(model, pm.ChartItem):
            model.objects.filter(patient=patient).update(recorded_at=F("recorded_at") - delta)
    Response.objects.filter(patient=patient).update(answered_at=F("answered_at") - delta)
    pm.Patient.objects.filter(pk=patient.pk).update(created_at=F("created_at") - delta)
    _age_invoices(patient, delta)
    return patient


def _age_invoices(patient, delta):
    """Issued invoices never change (triggers refuse even an update of their dates), so an
    aged chart's invoices are written again: as drafts with their lines, then issued on the
    day moved back, with their payments and reminders, as if all had happened then."""
    from segmenta.patients.restriction import lifted_for

    with lifted_for(patient.pk):  # a restricted chart is aged too
        for invoice in list(Invoice._base_manager.filter(patient=patient).exclude(status="draft")):
            _write_again(invoice, delta)


def _write_again(invoice, delta):
    lines = list(InvoiceLine._base_manager.filter(invoice=invoice).values())
    payments = list(Payment._base_manager.filter(invoice=invoice).values())
    reminders = list(PaymentReminder._base_manager.filter(invoice=invoice).values())
    for model in (PaymentReminder, Payment, InvoiceLine):
        model._base_manager.filter(invoice=invoice).delete()
    Invoice._base_manager.filter(pk=invoice.pk).delete()
    issued = {"status": invoice.status, "number": invoice.number,
              **{name: getattr(invoice, name) - delta for name in ("issue_date", "due_date")
                 if getattr(invoice, name) is not None}}
    invoice.status, invoice.number = "draft", None
    Invoice._base_manager.bulk_create([invoice])
    for line in lines:
        InvoiceLine._base_manager.create(**{**line, "date": line["date"] - delta})
    Invoice._base_manager.filter(pk=invoice.pk).update(**issued)
    for row in payments:
        Payment._base_manager.create(**{**row, "date": row["date"] - delta})
    for row in reminders:
        PaymentReminder._base_manager.create(**{**row, "date": row["date"] - delta, "pay_by": row["pay_by"] - delta})
