"""Project-level views that belong to no app."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

# Seconds the broker check waits for Redis before reporting it degraded.
BROKER_TIMEOUT = 2


def _check_database() -> dict:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 — a health check reports failures, it never raises them
        return {"ok": False, "vendor": connection.vendor, "error": exc.__class__.__name__}
    return {"ok": True, "vendor": connection.vendor, "ms": round((time.monotonic() - started) * 1000, 1)}


def _check_broker() -> dict:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # Embedded mode: tasks run in the web process, there is no broker to reach.
        return {"ok": True, "eager": True}
    from kombu import Connection

    started = time.monotonic()
    # connect_timeout bounds only the TCP connect; a broker that accepts and then never answers (Redis stopped
    # with SIGSTOP, a wedged proxy) is bounded by the socket timeout on every read and write.
    options = {
        **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        "socket_connect_timeout": BROKER_TIMEOUT,
        "socket_timeout": BROKER_TIMEOUT,
    }
    try:
        with Connection(
            settings.CELERY_BROKER_URL, connect_timeout=BROKER_TIMEOUT, transport_options=options
        ) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT)
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "eager": False, "error": exc.__class__.__name__}
    return {"ok": True, "eager": False, "ms": round((time.monotonic() - started) * 1000, 1)}


@never_cache
@require_GET
def healthz(request):
    """Liveness and dependencies for load balancers and monitoring: always 200, ``status`` says the rest.

    No login and no secrets: only booleans, the database vendor and exception class names.
    """
    database = _check_database()
    broker = _check_broker()
    status = "ok" if database["ok"] and broker["ok"] else "degraded"
    return JsonResponse({"status": status, "database": database, "broker": broker})


# --- error pages: Chinese, in the site layout; JSON under /api/ ---------------------------------------------------

API_PREFIX = "/api/"


def _api_error(request, status: int, detail) -> JsonResponse | None:
    """The API's error shape (``{"detail": …}``, as DRF answers) for a request under /api/, else None."""
    if not request.path.startswith(API_PREFIX):
        return None
    return JsonResponse({"detail": str(detail)}, status=status, json_dumps_params={"ensure_ascii": False})


def bad_request(request, exception=None):
    """400 outside the API views (a broken request Django refuses before any view)."""
    return _api_error(request, 400, _("请求无效。")) or defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    """403: the page ``403.html`` in the site layout; under /api/ DRF's JSON shape."""
    return _api_error(request, 403, _("您没有执行该操作的权限。")) or defaults.permission_denied(
        request, exception
    )


def page_not_found(request, exception=None):
    """404, also for an address under /api/ that matches no endpoint: JSON there, ``404.html`` elsewhere."""
    return _api_error(request, 404, _("未找到。")) or defaults.page_not_found(request, exception)


def server_error(request):
    """500: ``500.html`` rendered without a request context (the failure may be the database the context would
    read); under /api/ JSON."""
    return _api_error(request, 500, _("服务器内部错误，请稍后重试。")) or defaults.server_error(request)
