"""The recompute outbox: "something changed" travels upward as a row, never as a signal.

A service that changes data calls :func:`request_recompute` inside its transaction. After commit one task is
published by name (this app imports nothing above it); if the broker is down the rows stay, and the periodic task
picks them up.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import connection, transaction

from .models import Area, RecomputeRequest

logger = logging.getLogger(__name__)

RECOMPUTE_TASK = "reports.recompute_pending"


def request_recompute(*, area: Area | int, since: dt.date | None) -> None:
    """Mark ``area``'s figures dirty from ``since`` on (None: from the beginning)."""
    area_id = area if isinstance(area, int) else area.pk
    RecomputeRequest.objects.create(area_id=area_id, since=since or dt.date(1949, 10, 1))
    _publish_after_commit()


def request_recompute_many(pairs: list[tuple[int, dt.date]]) -> None:
    """Bulk form for imports: one row per (area id, since), one publish."""
    RecomputeRequest.objects.bulk_create([RecomputeRequest(area_id=a, since=s) for a, s in pairs])
    _publish_after_commit()


def _publish_after_commit() -> None:
    # Several changes in one transaction coalesce into one publish (a rolled-back one publishes nothing).
    if any(entry[1] is _publish for entry in connection.run_on_commit):
        return
    transaction.on_commit(_publish)


def _publish() -> None:
    publish_recompute()


def publish_recompute() -> bool:
    """Ask a worker to drain the outbox. Never raises: the outbox already holds the work."""
    from celery import current_app

    try:
        current_app.loader.import_default_modules()
        task = current_app.tasks[RECOMPUTE_TASK]
        task.apply_async(retry=False)
        return True
    except Exception:  # noqa: BLE001 — broker down or task missing: beat re-publishes later
        logger.warning("Could not publish the recompute task; the outbox keeps the request.", exc_info=True)
        return False
