"""Answer forms built from the Questionnaire resources, and storing the answers as FHIR
QuestionnaireResponse JSON with their score."""

from django import forms
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from segmenta.audit.trail import record

from .models import Alert, AnswerLink, LinkAlreadyAnswered, Response, clinic_instruments
from .scoring import _bounds, instrument, score
from .translation import localized


def _fields(items, fields, prefix=""):
    for item in items:
        if item["type"] == "group":
            _fields(item.get("item", []), fields, prefix=item.get("text", ""))
            continue
        label = f"{prefix} — {item['text']}" if prefix else item["text"]
        required = bool(item.get("required"))
        if item["type"] == "integer":
            lo, hi = _bounds(item)
            fields[item["linkId"]] = forms.TypedChoiceField(
                label=label, required=required, coerce=int, empty_value=None,
                choices=[(str(v), str(v)) for v in range(lo, hi + 1)], widget=forms.RadioSelect(attrs={"class": "scale"}))
        elif item["type"] == "choice":
            fields[item["linkId"]] = forms.ChoiceField(
                label=label, required=required, widget=forms.RadioSelect,
                choices=[(o["valueCoding"]["code"], o["valueCoding"]["display"]) for o in item["answerOption"]])
        elif item["type"] == "string":
            fields[item["linkId"]] = forms.CharField(label=label, required=required, max_length=200)


def answer_form(instrument_id, data=None, extra=None, language=None):
    """A Django form with one field per Questionnaire item, in order, in ``language`` (else
    the active one) where the Questionnaire has its translations."""
    resource = localized(instrument(instrument_id, extra), language or get_language())
    fields = {}
    _fields(resource["item"], fields)
    form_class = type("AnswerForm", (forms.Form,), dict(fields))
    form = form_class(data)
    form.resource = resource
    return form


def _response_items(resource, answers):
    out = []
    for item in resource["item"]:
        if item["type"] == "group":
            children = _response_items({"item": item.get("item", [])}, answers)
            if children:
                out.append({"linkId": item["linkId"], "item": children})
            continue
        value = answers.get(item["linkId"])
        if value in (None, ""):
            continue
        if item["type"] == "integer":
            answer = {"valueInteger": int(value)}
        elif item["type"] == "choice":
            option = next(o["valueCoding"] for o in item["answerOption"] if o["valueCoding"]["code"] == value)
            answer = {"valueCoding": {k: option[k] for k in ("system", "code", "display")}}
        else:
            answer = {"valueString": str(value)}
        out.append({"linkId": item["linkId"], "text": item["text"], "answer": [answer]})
    return out


def save_answers(patient, instrument_id, answers, *, entered_by=None, link=None, complaint=None, request=None,
                 answered_at=None, language=None):
    """Score and store answers ({linkId: value}) with the alerts they raise; return the Response.

    ``answered_at``: when the patient answered, if not now (answers on paper entered later,
    the demo's questionnaires on the days of their sessions). The stored response keeps the
    questions and answers in ``language`` (else the active one), as they were read; its codes
    and score are those of every language."""
    extra = clinic_instruments(patient.clinic_id)
    resource = localized(instrument(instrument_id, extra), language or get_language())
    now = timezone.now()
    answered_at = answered_at or now
    fhir = {"resourceType": "QuestionnaireResponse", "status": "completed",
            **({"language": resource["language"]} if resource.get("language") else {}),
            "questionnaire": resource.get("url") or f"Questionnaire/{resource['id']}",
            "authored": answered_at.isoformat(), "item": _response_items(resource, answers)}
    QuestionnaireResponse.model_validate(fhir)
    result = score(instrument_id, fhir, extra)
    with transaction.atomic():
        if link is not None:
            # The link's row stays locked until these answers are stored: a second
            # submission at the same moment waits here, then finds the link used.
            link = AnswerLink.objects.select_for_update().get(pk=link.pk)
            if link.used_at is not None:
                raise LinkAlreadyAnswered
        response = Response.objects.create(
            patient=patient, instrument=instrument_id, complaint=complaint, answered_at=answered_at, resource=fhir,
            total=result["total"], band=result.get("band") or "", entered_by=entered_by, link=link)
        if link is not None:
            link.used_at = now
            link.save(update_fields=["used_at"])
        record("create", request=request, user=entered_by, patient=patient, obj=response,
               username=None if entered_by else "patient (answer link)",
               detail={"instrument": instrument_id, "total": result["total"], "via": "link" if link else "staff"})
        for found in result["alerts"]:
            alert = Alert.objects.create(patient=patient, response=response, code=found["code"],
                                         message=found["message"])
            record("create", request=request, user=entered_by, patient=patient, obj=alert,
                   username=None if entered_by else "patient (answer link)",
                   detail={"code": alert.code, "instrument": instrument_id, "response": response.pk})
    return response
