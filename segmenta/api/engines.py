"""/api/v1/assess, /huneke and /safety: the engines, with the same JSON as the CLI."""

from typing import Annotated, Literal

from django.http import HttpResponse
from ninja import Body, Router
from pydantic_core import to_json

from segmenta import caseformat
from segmenta.assessment import schema as assessment_schema
from segmenta.assessment.engine import assess as run_assessment
from segmenta.knowledge.service import for_clinic, remember
from segmenta.treatment import huneke as huneke_engine
from segmenta.treatment import safety as safety_engine

from .errors import FieldErrors
from .schemas import Case, Out, published

router = Router(tags=["engines"])


Assessment = Annotated[dict, published(assessment_schema.build_schema)]

Verdict = Literal[safety_engine.OK, safety_engine.WARN, safety_engine.BLOCK]


class SafetyReasonOut(Out):
    code: str
    message: str
    verdict: Verdict


class SafetyInjectionOut(Out):
    index: int
    mg: float
    cumulative_mg: float
    verdict: Verdict
    reasons: list[SafetyReasonOut]


class SafetyOut(Out):
    limit_mg: float
    head_neck_genital_limit_mg: float
    total_mg: float
    verdict: Verdict
    knowledge_version: str
    injections: list[SafetyInjectionOut]


class HunekeTestOut(Out):
    index: int
    history_id: str
    complaint_id: str
    classification: Literal[huneke_engine.LOCAL, huneke_engine.HUNEKE, huneke_engine.CONFIRMED,
                            huneke_engine.PARTIAL, huneke_engine.NEGATIVE]
    reasons: list[str]


class HunekeOut(Out):
    tests: list[HunekeTestOut]


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


@router.post("/assess", response=Assessment, url_name="assess", summary="Assess a case (segmenta-case/1)",
             description="Red flags first, then candidate fields per complaint with reasons, and segmental and "
                         "ganglionic targets. The answer validates against `segmenta schema assessment`.")
def assess(request, payload: Case = Body(...)):
    kb = _knowledge(request)
    result = run_assessment(_case(payload), kb)
    remember(kb)
    # Hundreds of kilobytes for a long history: written as they are (the engine's answer is
    # what the schema says) by pydantic-core's serializer, several times faster than json.
    return HttpResponse(to_json(result), content_type="application/json")


@router.post("/huneke", response=HunekeOut, url_name="huneke", summary="Classify a case's test injections")
def huneke(request, payload: Case = Body(...)):
    return huneke_engine.classify(_case(payload), _knowledge(request))


@router.post("/safety", response=SafetyOut, url_name="safety", summary="Check a case's planned injections",
             description="Dose limits, contraindications and scope of practice, injection by injection.")
def safety(request, payload: Case = Body(...)):
    kb = _knowledge(request)
    result = safety_engine.check(_case(payload), kb)
    remember(kb)
    return result
