"""The JSON API under /api/v1/, authenticated by personal bearer tokens.

Errors always answer JSON with a ``detail`` sentence that names the field, and for
validation errors an ``errors`` list of ``{"field", "message"}``; never a 500 for bad
input.
"""

import json
from functools import wraps

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, JsonResponse
from django.urls import register_converter
from django.urls.converters import PathConverter
from ninja import NinjaAPI, Router
from ninja.constants import NOT_SET
from ninja.parser import Parser
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from segmenta.accounts.models import ApiToken
from segmenta.patients.restriction import ProcessingRestricted
from segmenta.validators import JSONTooDeep, load_json

from .errors import FieldErrors, refusals


class BearerToken(HttpBearer):
    openapi_description = "A personal token from `segmenta token USERNAME` or the profile page."

    def authenticate(self, request, token):
        found = ApiToken.authenticate(token)
        if found is None:
            request._segmenta_token_expired = ApiToken.has_expired(token)
            return None
        request.user = found.user
        request.api_token = found
        return found


class NulCharacter(ValueError):
    pass


class StrictParser(Parser):
    """JSON bodies as usual, but text with NUL characters is refused (PostgreSQL
    cannot store it, and no clinical text needs it)."""

    def parse_body(self, request):
        data = load_json(request.body)
        _check_nul(data, "body")
        return data


def _check_nul(value, path):
    if isinstance(value, str) and "\x00" in value:
        raise NulCharacter(path)
    if isinstance(value, dict):
        for key, item in value.items():
            _check_nul(key, path)
            _check_nul(item, str(key) if path == "body" else f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_nul(item, f"{path}[{index}]")


def schema_behind_a_token(view):
    """The OpenAPI document is open in development and behind a valid token in production:
    it maps every endpoint and field of clinical data, which is for clients, not the public."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        if settings.PRODUCTION:
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or ApiToken.authenticate(token.strip()) is None:
                return JsonResponse({"detail": "Authorization: the API's schema needs a valid bearer token",
                                     "errors": [{"field": "Authorization",
                                                 "message": "the API's schema needs a valid bearer token"}]},
                                    status=401)
        return view(request, *args, **kwargs)

    return guarded


api = NinjaAPI(
    parser=StrictParser(),
    title="Segmenta API",
    version="1",
    description="Clinical data of neural-therapy practices. Every request is scoped to the "
                "clinics of the token's user and written to the audit trail.",
    auth=BearerToken(),
    urls_namespace="api",
    docs_url=None,  # the interactive docs need scripts the Content-Security-Policy forbids
    docs_decorator=schema_behind_a_token,
)


def _field(loc):
    # ("body", "payload", "birth_date") -> "birth_date"; ("query", "patient") -> "patient"; ("form", "date") -> "date"
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "form", "file")]
    return ".".join(parts) or "body"


def _field_errors(request, errors):
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "invalid request"
    return api.create_response(request, {"detail": detail, "errors": errors}, status=422)


@api.exception_handler(ValidationError)
def validation_error(request, exc):
    errors = []
    for err in exc.errors:
        field = _field(err.get("loc", ()))
        message = err.get("msg", "invalid")
        if err.get("type") == "extra_forbidden":
            message = "unknown field"
        errors.append({"field": field, "message": message})
    return _field_errors(request, errors)


@api.exception_handler(FieldErrors)
def field_errors(request, exc):
    return _field_errors(request, exc.errors)


@api.exception_handler(HttpError)
def http_error(request, exc):
    detail = str(exc)
    if isinstance(exc.__cause__, json.JSONDecodeError):
        cause = exc.__cause__
        detail = f"body: malformed JSON ({cause.msg} at line {cause.lineno} column {cause.colno})"
    elif isinstance(exc.__cause__, NulCharacter):
        detail = f"{exc.__cause__}: contains a NUL character"
        return api.create_response(request, {"detail": detail, "errors": [
            {"field": str(exc.__cause__), "message": "contains a NUL character"}]}, status=422)
    elif isinstance(exc.__cause__, JSONTooDeep):
        detail = f"body: {exc.__cause__}"
        return api.create_response(request, {"detail": detail, "errors": [
            {"field": "body", "message": str(exc.__cause__)}]}, status=422)
    elif isinstance(exc.__cause__, UnicodeDecodeError):
        detail = "body: not UTF-8 text"
    return api.create_response(request, {"detail": detail}, status=exc.status_code)


@api.exception_handler(RequestDataTooBig)
def too_big(request, exc):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return api.create_response(request, {"detail": f"body: larger than the limit of {limit} bytes"}, status=413)


@api.exception_handler(ProcessingRestricted)
def restricted(request, exc):
    return api.create_response(request, {"detail": f"patient: {exc.args[0]}", "errors": [
        {"field": "patient", "message": "processing restricted (GDPR Art. 18): the chart is read only"}]},
        status=423)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": "not found"}, status=404)


@api.exception_handler(AuthenticationError)
def unauthorized(request, exc):
    if getattr(request, "_segmenta_token_expired", False):
        detail = "token expired: create a new one on your profile page or with 'segmenta token USERNAME'"
    else:
        detail = "missing, unknown or revoked token (send 'Authorization: Bearer TOKEN')"
    response = api.create_response(request, {"detail": detail}, status=401)
    response["WWW-Authenticate"] = "Bearer"
    return response


from . import appointments, audit, chart, engines, invoices, lots, patients, sessions  # noqa: E402  (routers register on `api`)

api.add_router("/patients", patients.router)
api.add_router("/patients", chart.router)
api.add_router("/audit", audit.router)
api.add_router("/lots", lots.router)
api.add_router("/", engines.router)
api.add_router("/", sessions.router)
api.add_router("/", invoices.router)
api.add_router("/", appointments.router)

# Last: any other address under /api/v1/ (a negative or malformed id, a misspelt path) answers
# the API's JSON 404, never the site's HTML page.
unmatched = Router(auth=None)


class AnyText(PathConverter):
    regex = r"[\s\S]+"  # also a line break (percent-encoded) that Django's `path` leaves unmatched


register_converter(AnyText, "anytext")


@unmatched.api_operation(["GET", "POST", "PUT", "PATCH", "DELETE"], "/{anytext:rest}", include_in_schema=False)
def no_such_address(request, rest: str):
    raise Http404


api.add_router("/", unmatched)


# What each refusal means, as the document says it.
REFUSALS = {
    400: "The body cannot be read: no JSON, or not UTF-8",
    401: "Missing, unknown, revoked or expired token",
    403: "Your role does not allow this (signing needs a practitioner; the audit trail a clinic admin)",
    404: "No such record among your clinics' (another clinic's record answers the same)",
    409: "The record's state forbids it: signed, entered in error, or a record number already taken",
    413: "The body is larger than the upload limit",
    422: "Invalid input: `detail` names the field, `errors` lists each one",
    423: "The chart's processing is restricted (GDPR Art. 18): it is read only",
}


def _document_refusals():
    """Every operation documents the refusals any operation of its kind can answer, with the
    error body: 401 behind a token, 404 for an id in the path (another clinic's record too),
    400 for a body that cannot be read, 413 for one over the size limit, 422 for a query or
    body that fails validation. What
    only some operations answer (403, 409, 423, a 422 of their own) they declare themselves
    with ``refusals()``."""
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                sources = {model.__ninja_param_source__ for model in operation.models}
                found = []
                if operation.auth_param is not None and (operation.auth_param is not NOT_SET or api.auth):
                    found.append(401)
                if "path" in sources:
                    found.append(404)
                if sources & {"body", "form", "file"}:
                    found += [400, 413]  # a body that is no JSON (or no UTF-8); one over the size limit
                found.append(422)  # also for any operation: a NUL character in the query (accounts.middleware)
                for status, model in refusals(*found).items():
                    operation.response_models.setdefault(status, operation._create_response_model(model))
                operation.response_models = dict(sorted(operation.response_models.items()))
                extra = operation.openapi_extra or {}
                extra["responses"] = {status: {"description": text} for status, text in REFUSALS.items()
                                      if status in operation.response_models}
                operation.openapi_extra = extra


_document_refusals()
