"""Project-level views that belong to no app."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
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
