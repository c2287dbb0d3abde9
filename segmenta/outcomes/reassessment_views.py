"""The reassessment after 3–5 sessions: the report and the decision taken. It lives with the
outcomes because it reads the questionnaires and re-screens red flags (the assessment), both
above the treatment floor."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from segmenta.audit.trail import record
from segmenta.treatment.forms import PlanReviewForm
from segmenta.treatment.models import PlanReview, TreatmentPlan
from segmenta.treatment.sessions import membership_for

from .reassessment import report


@login_required
def reassessment(request, plan_id):
    plan = get_object_or_404(TreatmentPlan.objects.visible_to(request.user)
                             .select_related("complaint", "patient"), pk=plan_id)
    form = PlanReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        membership = membership_for(request.user, plan.patient)
        if membership is None or not membership.can_sign:
            messages.error(request, _("Only a practitioner decides at a reassessment."))
        else:
            with transaction.atomic():
                review = form.save(commit=False)
                review.plan, review.decided_by = plan, request.user
                review.save()
                if review.decision in (PlanReview.Decision.STOP, PlanReview.Decision.REFER):
                    plan.status = TreatmentPlan.Status.STOPPED if review.decision == "refer" else \
                        TreatmentPlan.Status.COMPLETED
                    plan.save(update_fields=["status"])
                record("create", request=request, patient=plan.patient, obj=review,
                       detail={"decision": review.decision})
            messages.success(request, _("Decision recorded."))
            return redirect("outcomes:reassessment", plan_id=plan.pk)
    record("view", request=request, patient=plan.patient, obj=plan, detail={"report": "reassessment"})
    return render(request, "outcomes/reassessment.html", {**report(plan), "form": form,
                                                           "reviews": plan.reviews.select_related("decided_by")},
                  status=400 if form.errors else 200)
