import socket
import time

import pytest
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.django_db


def test_healthz_is_public_and_reports_ok(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"status", "database", "broker"}
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["database"]["vendor"] == connection.vendor
    # Eager in the embedded run, a real Redis in CI's second run: both healthy.
    assert body["broker"]["ok"] is True
    assert body["broker"]["eager"] is settings.CELERY_TASK_ALWAYS_EAGER


def test_healthz_eager_broker_is_ok_without_connecting(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"

    body = client.get("/healthz").json()

    assert body["broker"] == {"ok": True, "eager": True}
    assert body["status"] == "ok"


def test_healthz_unreachable_broker_is_degraded_not_an_error(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1

    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["database"]["ok"] is True
    assert body["broker"] == {"ok": False, "eager": False, "error": "OperationalError"}


def test_healthz_database_failure_is_degraded(client, monkeypatch):
    class BrokenConnection:
        vendor = "postgresql"

        def cursor(self):
            raise RuntimeError("database is down")

    monkeypatch.setattr("config.views.connection", BrokenConnection())

    body = client.get("/healthz").json()

    assert body["status"] == "degraded"
    assert body["database"] == {"ok": False, "vendor": "postgresql", "error": "RuntimeError"}


def test_healthz_only_answers_get(client):
    assert client.post("/healthz").status_code == 405


@pytest.fixture
def stalled_broker():
    """A port that accepts connections (the kernel completes the handshake) and never answers: Redis stopped."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"


def test_healthz_stalled_broker_is_degraded_within_3_seconds(client, settings, stalled_broker):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = stalled_broker

    started = time.monotonic()
    response = client.get("/healthz")
    elapsed = time.monotonic() - started

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["broker"] == {"ok": False, "eager": False, "error": "OperationalError"}
    assert elapsed < 3
