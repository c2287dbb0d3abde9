"""/api/v1/assess and /api/v1/huneke: the engines, with the same JSON as the CLI."""

from ninja import Body, Router

from segmenta import caseformat
from segmenta.assessment.engine import assess as run_assessment
from segmenta.knowledge.service import for_clinic, remember
from segmenta.treatment.huneke import classify

from .errors import FieldErrors

router = Router(tags=["engines"])


def _case(payload):
    try:
        return caseformat.validate(payload)
    except caseformat.CaseError as error:
        raise FieldErrors([{"field": error.field, "message": error.message}]) from None


def _knowledge(request):
    clinic = request.user.memberships.order_by("clinic__name").values_list("clinic", flat=True).first()
    from segmenta.accounts.models import Clinic

    return for_clinic(Clinic.objects.filter(pk=clinic).first())


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
