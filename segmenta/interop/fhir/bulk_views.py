"""FHIR Bulk Data export over HTTP (the kick-off, status and file requests of the Bulk Data
Access IG); the export itself, its jobs and its audit are in ``bulk``.

- ``GET /fhir/r4/$export``, ``/fhir/r4/Patient/$export``, ``/fhir/r4/Group/{clinic id}/$export``
  with ``Prefer: respond-async``: 202 and ``Content-Location``, the status URL.
  Parameters: ``_type``, ``_since``, ``_outputFormat`` (NDJSON only); any other is refused
  with an OperationOutcome (left out with ``Prefer: handling=lenient``).
- ``GET`` the status URL: 202 with ``X-Progress`` while running, then 200 and the manifest;
  500 with an OperationOutcome if the export failed or was interrupted. ``DELETE`` it:
  cancelled and removed (202).
- ``GET`` a file's URL (with the same bearer token): ``application/fhir+ndjson``.

Only a clinic admin may export, and only their clinics' records; a practitioner or an
assistant gets 403, another clinic's group 404 (as any record of another clinic). One export
at a time per user (429 while one runs). Jobs and files belong to the user who started them,
while they administer its clinics: anyone else's token gets 404, and so does theirs once the
admin role is taken away (an export that had not run yet then fails, saying why). The
CapabilityStatement declares the export through ``bulk.declare_in``.
"""

from django.http import FileResponse, HttpResponse
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt

from segmenta.accounts.access import admin_clinics
from segmenta.accounts.models import Membership

from . import bulk, params
from .params import BadParameter
from .views import base_url, fhir_response, outcome, token_required


def _methods(*allowed):
    def decorate(view):
        @csrf_exempt
        def guarded(request, *args, **kwargs):
            if request.method not in allowed:
                response = outcome(405, "not-supported", f"{request.method}: {request.path} takes "
                                                         f"{', '.join(allowed)} (see /fhir/r4/metadata)")
                response["Allow"] = ", ".join(allowed)
                return response
            return view(request, *args, **kwargs)

        guarded.__name__ = view.__name__
        return guarded
    return decorate


def _prefer(request):
    return params.prefer(request.headers.get("Prefer"))


def _read_parameters(request, level):
    lenient = "handling=lenient" in _prefer(request)
    unknown = sorted(set(request.GET) - set(bulk.PARAMETERS))
    if unknown and not lenient:
        raise BadParameter(f"{', '.join(unknown)}: not a parameter of $export here (supported: "
                           f"{', '.join(bulk.PARAMETERS)})")
    for value in request.GET.getlist("_outputFormat"):
        if value not in bulk.OUTPUT_FORMATS:
            raise BadParameter(f"_outputFormat: only NDJSON is written ({', '.join(bulk.OUTPUT_FORMATS)}), "
                               f"got {value!r}")
    since = request.GET.getlist("_since")
    if len(since) > 1:
        raise BadParameter("_since: give it once")
    return bulk.read_types(request.GET.getlist("_type"), level), bulk.read_since(since[0] if since else None)


def _clinics(request, level, group_id):
    """The clinic ids to export, or an OperationOutcome response refusing the request."""
    administered = list(admin_clinics(request.user).values_list("pk", flat=True))
    if level == "group":
        member = group_id.isdigit() and len(group_id) <= 18 and \
            Membership.objects.filter(user=request.user, clinic_id=int(group_id)).exists()
        if not member:
            return outcome(404, "not-found", f"Group/{group_id}: no such group among your clinics "
                                             "(a group is a clinic: Group/{clinic id})")
        administered = [pk for pk in administered if pk == int(group_id)]
    if not administered:
        return outcome(403, "forbidden", "only a clinic admin may export a clinic's records")
    return administered


def _accepts_fhir_json(request):
    """The kick-off's Accept (the format of an OperationOutcome it may answer): FHIR JSON, or
    none given, which the IG lets a server take as FHIR JSON."""
    accept = [part.split(";")[0].strip().lower() for part in request.headers.get("Accept", "").split(",")]
    return accept == [""] or any(kind in ("application/fhir+json", "application/json", "*/*") for kind in accept)


def _kick_off(request, level, group_id=""):
    if not _accepts_fhir_json(request):
        return outcome(400, "not-supported", f"Accept: {request.headers['Accept']!r}: only application/fhir+json "
                                             "is answered")
    if "respond-async" not in _prefer(request):
        return outcome(400, "invalid", "Prefer: respond-async is required: an export runs in the background "
                                       "(see the Bulk Data Access IG)")
    types, since = _read_parameters(request, level)
    clinics = _clinics(request, level, group_id)
    if isinstance(clinics, HttpResponse):
        return clinics
    bulk.purge()
    if bulk.running_jobs(request.user):
        response = outcome(429, "throttled", "an export of yours is still running: wait for it or cancel it "
                                             "(DELETE its status URL)")
        response["Retry-After"] = "60"
        return response
    base = base_url(request)
    job = bulk.create(user=request.user, clinic_ids=clinics, types=types, since=since, level=level,
                      request_url=request.build_absolute_uri(), base_url=base,
                      client={key: request.META[key] for key in ("REMOTE_ADDR", "HTTP_X_FORWARDED_FOR")
                              if key in request.META})
    bulk.start(job)
    response = HttpResponse(status=202)
    response["Content-Location"] = f"{base}/$export-status/{job.id}"
    return response


@_methods("GET")
@token_required
def system_export(request):
    return _kick_off(request, "system")


@_methods("GET")
@token_required
def patient_export(request):
    return _kick_off(request, "patient")


@_methods("GET")
@token_required
def group_export(request, group_id):
    return _kick_off(request, "group", group_id)


def _job_or_404(request, job_id):
    job = bulk.find(job_id, request.user)
    if job is None:
        return None, outcome(404, "not-found", f"{request.path}: no such export of yours (finished exports are "
                                               f"kept {bulk.KEEP_FOR.total_seconds() / 3600:g} hours)")
    return job, None


@_methods("GET", "DELETE")
@token_required
def status(request, job_id):
    job, refused = _job_or_404(request, job_id)
    if refused:
        return refused
    if request.method == "DELETE":
        job.remove()
        return HttpResponse(status=202)
    state = job.state()
    if state == "running":
        progress = job.progress() or {}
        response = HttpResponse(status=202)
        current = f", now {progress['current']}" if progress.get("current") else ""
        response["X-Progress"] = f"{progress.get('written', 0)} resources written{current}"
        response["Retry-After"] = "2"
        return response
    if state == "complete":
        response = HttpResponse(fhir_response(job.manifest()).content, content_type="application/json")
        response["Expires"] = http_date(job.expires())
        return response
    if state == "interrupted":
        return outcome(500, "incomplete", "the export stopped (the server was restarted while it ran); "
                                          "start it again")
    return outcome(500, "exception", f"the export failed: {(job.progress() or {}).get('error', 'unknown error')}")


@_methods("GET")
@token_required
def download(request, job_id, name):
    job, refused = _job_or_404(request, job_id)
    if refused:
        return refused
    path = job.file(name) if job.state() == "complete" else None
    if path is None:
        return outcome(404, "not-found", f"{request.path}: no such file in this export")
    return FileResponse(open(path, "rb"), content_type=bulk.NDJSON)
