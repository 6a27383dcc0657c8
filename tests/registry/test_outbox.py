"""Publishing the recompute task never holds a request for long: the outbox row already holds the work."""

import socket
import time

import pytest

from config.celery import app as celery_app
from registry import outbox


@pytest.fixture
def stalled_broker():
    """Celery pointed at a port that accepts connections and never answers (Redis stopped with SIGSTOP)."""
    saved = {key: celery_app.conf[key] for key in ("broker_url", "broker_write_url", "task_always_eager")}
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        url = f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
        celery_app.conf.update(broker_url=url, broker_write_url=url, task_always_eager=False)
        celery_app._pool = None
        celery_app.amqp._producer_pool = None
        outbox.resume_publishing()
        try:
            yield
        finally:
            celery_app.conf.update(saved)
            celery_app._pool = None
            celery_app.amqp._producer_pool = None
            outbox.resume_publishing()


def test_publish_to_a_stalled_broker_gives_up_after_its_timeout_then_skips(stalled_broker):
    started = time.monotonic()
    first = outbox.publish_recompute()
    first_elapsed = time.monotonic() - started

    started = time.monotonic()
    second = outbox.publish_recompute()
    second_elapsed = time.monotonic() - started

    assert first is False
    # Bounded by the broker's 2 s socket timeout (settings.CELERY_BROKER_TRANSPORT_OPTIONS), not hung: unbounded, it
    # waited until gunicorn killed the worker at 120 s. The margin allows for a CI machine running two suites at
    # once (3.5 s seen there).
    assert first_elapsed < 5
    # While the broker is known to be down, the next edits do not wait for it again.
    assert second is False
    assert second_elapsed < 0.1


def test_publish_tries_again_after_the_backoff(stalled_broker, monkeypatch):
    assert outbox.publish_recompute() is False
    calls = []
    monkeypatch.setattr(celery_app, "send_task", lambda name, **kwargs: calls.append(name))
    monkeypatch.setattr(outbox, "_paused_until", time.monotonic() - 1)

    assert outbox.publish_recompute() is True
    assert calls == ["reports.recompute_pending"]
