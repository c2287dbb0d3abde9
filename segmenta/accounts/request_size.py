"""The door's size limit: a request whose body is larger than SEGMENTA_MAX_REQUEST_BYTES
is refused (413) before anything reads it, so a huge upload is never spooled to disk and
no anonymous page accepts hundreds of megabytes. A body sent without a length (chunked)
is refused (411): no browser sends one, and it could not be measured before reading."""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _


def _refuse(request, status, message):
    if request.path.startswith("/api/"):
        return JsonResponse({"errors": [{"field": "body", "message": message}]}, status=status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def limit_request_size(get_response):
    def middleware(request):
        limit = settings.SEGMENTA_MAX_REQUEST_BYTES
        length = request.META.get("CONTENT_LENGTH") or ""
        if not length and "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            return _refuse(request, 411, _("A request body must state its length."))
        try:
            size = int(length) if length else 0
        except ValueError:
            return _refuse(request, 400, _("The request's length is not a number."))
        if size > limit:
            return _refuse(request, 413, _("The request is too large: at most %(mb)s MB can be sent at once.")
                           % {"mb": limit // (1024 * 1024)})
        return get_response(request)

    return middleware
