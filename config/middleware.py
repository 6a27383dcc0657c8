"""Project-level middleware that belongs to no app."""

from __future__ import annotations

import auditlog.middleware
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse

from registry.clientip import client_ip
from registry.closing import collecting_reach, describe_reach
from registry.validators import forbidden_character, query_errors
from reports.engine.recompute import locked_periods


class UploadSizeLimitMiddleware:
    """Refuse a request whose declared body exceeds ``MAX_UPLOAD_BYTES`` with 413, before anything reads it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_UPLOAD_BYTES:
            limit_mb = settings.MAX_UPLOAD_BYTES / (1024 * 1024)
            return HttpResponse(
                f"上传内容过大：不能超过 {limit_mb:.0f} MB。".encode(),
                status=413,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


class PlainQueryMiddleware:
    """Query parameters and paths with a NUL or control character (registry.validators) are refused here, the one
    door every page, filter and stats parameter passes: 400 naming the parameter (JSON under /api/), 404 for a path.
    Past this point no query string can carry a NUL into a database query."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if forbidden_character(request.path) is not None:
            raise Http404
        errors = query_errors(request.GET)
        if errors:
            if request.path.startswith("/api/"):
                return JsonResponse(errors, status=400, json_dumps_params={"ensure_ascii": False})
            text = "\n".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items())
            return HttpResponseBadRequest(text.encode(), content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class AuditlogMiddleware(auditlog.middleware.AuditlogMiddleware):
    """django-auditlog's middleware, with the client address read as the login lockout reads it
    (registry.clientip): its own takes the left-most X-Forwarded-For entry, which any client can write (a forged
    address, or a NUL that PostgreSQL refuses in the log row)."""

    @staticmethod
    def _get_remote_addr(request):
        return None if settings.AUDITLOG_DISABLE_REMOTE_ADDR else client_ip(request)


class ChangedQuartersMiddleware:
    """A write that changes a past quarter's figures says so (registry.closing): a page gets a message naming the
    quarters, an API response the ``Changed-Periods`` header (e.g. ``2025Q3, 2025Q4``). A quarter the district has
    locked is not named: its figures stay as they were."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return self.get_response(request)
        with collecting_reach() as reached:
            response = self.get_response(request)
        if reached and response.status_code < 400:
            locked = locked_periods()
            changed = sorted(reached - locked)
            if changed:
                if request.path.startswith("/api/"):
                    response["Changed-Periods"] = ", ".join(str(q) for q in changed)
                else:
                    messages.warning(request, describe_reach(changed))
        return response
