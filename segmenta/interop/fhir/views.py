"""/fhir/r4/: the CapabilityStatement, read and search, behind the API's bearer tokens.

Every answer is ``application/fhir+json``; every refusal an OperationOutcome whose
diagnostics name the problem (401 without a valid token, 404 for an id that is not among
the user's clinics' — another clinic's resource answers exactly the same —, 400 for a
search parameter that cannot be read). Reads and searches are audited as the API's are:
one event per patient whose data was shown, in that patient's clinic."""

import json
from functools import wraps

from django.http import Http404, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from segmenta.accounts.models import ApiToken
from segmenta.audit.trail import record

from segmenta.patients.models import Patient

from . import everything as compartment
from . import params, search
from .capability import capability_statement
from .params import BadParameter
from .types import TYPES

CONTENT_TYPE = "application/fhir+json; charset=utf-8"


def fhir_response(body, status=200):
    return HttpResponse(json.dumps(body, ensure_ascii=False), status=status, content_type=CONTENT_TYPE)


def outcome(status, code, diagnostics):
    """An OperationOutcome with one error issue (``code`` from FHIR's issue-type codes)."""
    response = fhir_response({"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": code, "diagnostics": diagnostics}]}, status)
    if status == 401:
        response["WWW-Authenticate"] = "Bearer"
    return response


def base_url(request):
    return request.build_absolute_uri("/fhir/r4")


def read_only(view):
    """GET only (HEAD too): anything else is a 405 OperationOutcome; this server does not write yet.
    (No CSRF check: a bearer token, never a session cookie, says who asks.)"""

    @csrf_exempt
    @wraps(view)
    def guarded(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            response = outcome(405, "not-supported", f"{request.method}: this server only reads and searches "
                                                     "(GET); see /fhir/r4/metadata")
            response["Allow"] = "GET, HEAD"
            return response
        return view(request, *args, **kwargs)

    return guarded


def token_required(view):
    """The API's bearer tokens: the token's user becomes the request's user."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
        token = ApiToken.authenticate(raw.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            if scheme.lower() == "bearer" and ApiToken.has_expired(raw.strip()):
                message = "token expired: create a new one on your profile page or with 'segmenta token USERNAME'"
            else:
                message = "missing, unknown or revoked token (send 'Authorization: Bearer TOKEN')"
            return outcome(401, "login", message)
        request.user = token.user
        request.api_token = token
        try:
            return view(request, *args, **kwargs)
        except BadParameter as error:
            return outcome(400, "invalid", str(error))
        except Http404:
            return outcome(404, "not-found", f"{request.path}: no such resource among your clinics' records")

    return guarded


@read_only
def metadata(request):
    """Open, as FHIR asks: it describes the server, not any patient."""
    return fhir_response(capability_statement(base_url(request), bulk_export=True))


def _type_or_404(name):
    resource_type = TYPES.get(name)
    if resource_type is None:
        raise Http404
    return resource_type


@read_only
@token_required
def read(request, type_name, resource_id):
    resource_type = _type_or_404(type_name)
    source, pk = resource_type.source_of(resource_id)
    if source is None:
        raise Http404
    row = source.get(request.user, pk)
    if row is None:
        raise Http404
    record("view", request=request, patient=source.patient_of(row), object_type=f"fhir:{type_name}", object_id=resource_id,
           detail={"fhir": True})
    return fhir_response(source.to_resource(row, resource_id))


@read_only
@token_required
def search_type(request, type_name):
    resource_type = _type_or_404(type_name)
    lenient = "handling=lenient" in params.prefer(request.headers.get("Prefer"))
    conditions, count, offset = search.read_query(resource_type, request.GET, lenient=lenient)
    total, rows = search.page(search.querysets(resource_type, request.user, conditions), count, offset)
    base = base_url(request)
    entries = [{"fullUrl": f"{base}/{type_name}/{source.resource_id(row.pk)}",
                "resource": source.to_resource(row, source.resource_id(row.pk)),
                "search": {"mode": "match"}} for source, row in rows]
    _record_search(request, type_name, rows, conditions)
    bundle = {"resourceType": "Bundle", "type": "searchset", "total": total,
              "link": search.links(f"{base}/{type_name}", conditions, count, offset, total)}
    if entries:  # FHIR allows no empty lists
        bundle["entry"] = entries
    return fhir_response(bundle)


def _record_search(request, type_name, rows, conditions):
    """One event per patient the page showed, in the patient's clinic, naming what it showed."""
    detail = {"fhir": True, "search": conditions}
    shown = {}
    unrelated = []  # resources of no patient (questionnaires)
    for source, row in rows:
        patient = source.patient_of(row)
        if patient is None:
            unrelated.append(source.resource_id(row.pk))
            continue
        shown.setdefault(patient.pk, (patient, []))[1].append(source.resource_id(row.pk))
    if not shown:
        record("view", request=request, object_type=f"fhir:{type_name}", detail={**detail, "resources": unrelated})
    for patient, ids in shown.values():
        record("view", request=request, patient=patient, object_type=f"fhir:{type_name}",
               detail={**detail, "resources": ids})


def _visible_patient(request, resource_id):
    if not resource_id.isdigit() or len(resource_id) > 18:
        raise Http404
    patient = Patient.objects.visible_to(request.user).select_related("clinic").filter(pk=int(resource_id)).first()
    if patient is None:
        raise Http404
    return patient


def _operation_query(request, allowed):
    unknown_names = sorted(set(request.GET) - set(allowed))
    if unknown_names:
        raise BadParameter(f"{', '.join(unknown_names)}: not a parameter of this operation here "
                           f"(supported: {', '.join(allowed)})")
    for value in request.GET.getlist("_format"):
        if value not in search.FORMATS:
            raise BadParameter(f"_format: only JSON is served (json, application/fhir+json), got {value!r}")


@read_only
@token_required
def patient_everything(request, resource_id):
    """Patient/ID/$everything: the patient and every resource about them, a searchset paged with
    _count; _type (type names, comma-separated) and _since (an instant) narrow it as FHIR defines."""
    _operation_query(request, (*search.PAGING, "_type", "_since"))
    patient = _visible_patient(request, resource_id)
    count = params.number("_count", request.GET.get("_count"), 0, params.MAX_COUNT, params.DEFAULT_COUNT)
    offset = params.number("_offset", request.GET.get("_offset"), 0, 10**9, 0)
    types = params.type_names(request.GET.getlist("_type"), compartment.compartment_types(),
                              "the patient compartment's types")
    since = params.instant("_since", request.GET.get("_since"))
    base = base_url(request)
    total, entries = compartment.everything_page(patient, base, count, offset, types, since)
    record("view", request=request, patient=patient, object_type="fhir:Patient/$everything", object_id=resource_id,
           detail={"fhir": True, "resources": [e["resource"]["id"] for e in entries]})
    used = {name: request.GET.getlist(name) for name in ("_since", "_type") if name in request.GET}
    bundle = {"resourceType": "Bundle", "type": "searchset", "total": total,
              "link": search.links(f"{base}/Patient/{resource_id}/$everything", used, count, offset, total)}
    if entries:
        bundle["entry"] = entries
    return fhir_response(bundle)


@read_only
@token_required
def patient_summary(request, resource_id):
    """Patient/ID/$summary: the patient summary (International Patient Summary), a document Bundle."""
    _operation_query(request, ("_format",))
    patient = _visible_patient(request, resource_id)
    bundle = compartment.summary(patient, base_url(request))
    record("view", request=request, patient=patient, object_type="fhir:Patient/$summary", object_id=resource_id,
           detail={"fhir": True, "resources": [e["resource"]["id"] for e in bundle["entry"][1:]]})
    return fhir_response(bundle)


@csrf_exempt
def unknown(request, rest=""):
    return outcome(404, "not-supported", f"{request.path}: not an interaction this server offers (see /fhir/r4/metadata)")
