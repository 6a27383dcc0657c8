"""The recompute outbox: "something changed" travels upward as a row, never as a signal.

A service that changes data calls :func:`request_recompute` inside its transaction. After commit one task is
published by name (this app imports nothing above it); if the broker is down the rows stay, and the periodic task
picks them up.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from django.db import connection, transaction

from .models import Area, RecomputeRequest

logger = logging.getLogger(__name__)

RECOMPUTE_TASK = "reports.recompute_pending"


def request_recompute(*, area: Area | int, since: dt.date | None, people: bool = True) -> None:
    """Mark ``area``'s figures dirty from ``since`` on (None: from the beginning); ``people=False`` when the change
    cannot move member or organisation figures."""
    area_id = area if isinstance(area, int) else area.pk
    RecomputeRequest.objects.create(area_id=area_id, since=since or dt.date(1949, 10, 1), people=people)
    _publish_after_commit()


def request_recompute_many(pairs: list[tuple[int, dt.date]], *, people: bool = True) -> None:
    """Bulk form for imports: one row per (area id, since), one publish."""
    RecomputeRequest.objects.bulk_create(
        [RecomputeRequest(area_id=a, since=s, people=people) for a, s in pairs]
    )
    _publish_after_commit()


def _publish_after_commit() -> None:
    # Several changes in one transaction coalesce into one publish (a rolled-back one publishes nothing).
    if any(entry[1] is _publish for entry in connection.run_on_commit):
        return
    transaction.on_commit(_publish)


def _publish() -> None:
    publish_recompute()


# After a failed publish this process does not try again for this many seconds: while Redis is down an edit
# would otherwise wait out the broker's socket timeouts every time. The beat sweep drains the outbox meanwhile.
PUBLISH_BACKOFF_SECONDS = 30.0
_paused_until = 0.0


def publish_recompute() -> bool:
    """Ask a worker to drain the outbox. Never raises: the outbox already holds the work.

    Bounded: a broker that refuses, or accepts and never answers, costs at most the socket timeouts of
    ``CELERY_BROKER_TRANSPORT_OPTIONS`` (2 s) once, and nothing for the next ``PUBLISH_BACKOFF_SECONDS``.
    """
    global _paused_until
    from celery import current_app

    eager = current_app.conf.task_always_eager
    if not eager and time.monotonic() < _paused_until:
        logger.info("Recompute publish skipped (broker failed recently); the outbox keeps the request.")
        return False
    try:
        if eager:
            # Embedded mode runs the task in this process, so it needs the task object (this app imports nothing
            # above it): import the apps' task modules, once. Not with loader.import_default_modules(): that
            # re-runs django.setup(), whose logging config silenced a worker's output for good (issue 17).
            if RECOMPUTE_TASK not in current_app.tasks:
                current_app.autodiscover_tasks(force=True)
            current_app.tasks[RECOMPUTE_TASK].apply_async(retry=False)
        else:
            current_app.send_task(RECOMPUTE_TASK, retry=False)
        return True
    except Exception:  # noqa: BLE001 — broker down or task missing: beat re-publishes later
        if not eager:
            _paused_until = time.monotonic() + PUBLISH_BACKOFF_SECONDS
        logger.warning("Could not publish the recompute task; the outbox keeps the request.", exc_info=True)
        return False


def resume_publishing() -> None:
    """Forget a recent publish failure (tests, and a broker known to be back)."""
    global _paused_until
    _paused_until = 0.0
