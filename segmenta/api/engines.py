"""/api/v1/assess, /huneke and /safety: the engines, with the same JSON as the CLI."""

from ninja import Body, Router

from segmenta import caseformat
from segmenta.assessment.engine import assess as run_assessment
from segmenta.knowledge.service import for_clinic, remember
from segmenta.treatment.huneke import classify
from segmenta.treatment.safety import check

from .errors import FieldErrors

router = Router(tags=["engines"])


def _case(payload):
    try:
        return caseformat.validate(payload)
    except caseformat.CaseError as error:
        raise FieldErrors([{"field": error.field, "message": error.message}]) from None


def _knowledge(request):
    """The base as the caller's clinic sees it (its overrides apply); the first clinic
    by name for members of several."""
    membership = request.user.memberships.select_related("clinic").order_by("clinic__name").first()
    return for_clinic(membership.clinic if membership else None)


@router.post("/assess", url_name="assess", summary="Assess a case (segmenta-case/1)",
             description="Red flags first, then candidate fields per complaint with reasons, and segmental and "
                         "ganglionic targets. The answer validates against `segmenta schema assessment`.")
def assess(request, payload: dict = Body(...)):
    kb = _knowledge(request)
    result = run_assessment(_case(payload), kb)
    remember(kb)
    return result


@router.post("/huneke", url_name="huneke", summary="Classify a case's test injections")
def huneke(request, payload: dict = Body(...)):
    return classify(_case(payload), _knowledge(request))


@router.post("/safety", url_name="safety", summary="Check a case's planned injections",
             description="Dose limits, contraindications and scope of practice, injection by injection.")
def safety(request, payload: dict = Body(...)):
    kb = _knowledge(request)
    result = check(_case(payload), kb)
    remember(kb)
    return result
