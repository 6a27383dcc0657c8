"""Project-level middleware that belongs to no app."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse


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
