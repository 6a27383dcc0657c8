"""API primitives every app's API shares: pagination and error shapes (settings point here)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination
from rest_framework.views import exception_handler as drf_exception_handler

from registry.closing import QuarterClosed
from registry.periods import PeriodError

FILE_FORMATS = ("csv", "xlsx")


class Conflict(exceptions.APIException):
    """409: the request is well formed but the record's state does not allow it (a closed quarter, a step the
    submission's status does not allow)."""

    status_code = 409
    default_detail = "当前状态不允许此操作。"
    default_code = "conflict"


class StandardPagination(PageNumberPagination):
    """``?page=`` and ``?page_size=`` (at most 1000). File downloads (format=csv|xlsx) hold every matching row."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000

    def paginate_queryset(self, queryset, request, view=None):
        if getattr(request, "accepted_renderer", None) and request.accepted_renderer.format in FILE_FORMATS:
            return None
        return super().paginate_queryset(queryset, request, view)


def validation_error_detail(exc: DjangoValidationError) -> dict:
    """A Django ValidationError (from a service or a rule) as DRF's ``{"field": ["message"]}``."""
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): messages
            for field, messages in exc.message_dict.items()
        }
    return {"non_field_errors": exc.messages}


def exception_handler(exc, context):
    """Errors are 400 ``{"field": [...]}``, 401/403/404 ``{"detail": ...}``: the one place where errors become API
    responses. A service's rule or a bad query parameter (a Django ValidationError, such as reports' BadParameter)
    becomes a 400, a quarter that is not one a 400 on ``period``, an Http404 (such as an unknown area) a 404."""
    if isinstance(exc, QuarterClosed):
        exc = Conflict(exc.messages[0])
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(validation_error_detail(exc))
    elif isinstance(exc, PeriodError):
        exc = exceptions.ValidationError({"period": [str(exc)]})
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        # Our own 404s say what was not found in Chinese; Django's get_object_or_404 says "No Enterprise matches
        # the given query." in English and names a model: a client gets the plain translated "未找到。" instead.
        message = str(exc)
        exc = exceptions.NotFound(message if message and not message.isascii() else None)
    response = drf_exception_handler(exc, context)
    if (
        response is not None
        and isinstance(exc, exceptions.ValidationError)
        and isinstance(response.data, list)
    ):
        response.data = {"non_field_errors": response.data}
    return response
