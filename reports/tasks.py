"""Celery tasks: thin wrappers, queued after commit, that call the same functions as the management command."""

from celery import shared_task

from registry.periods import Quarter

from .engine import recompute as engine


@shared_task(name="reports.recompute_pending")
def recompute_pending() -> int:
    """Drain the recompute outbox (published after every data change)."""
    written = engine.process_outbox()
    return -1 if written is None else written.total


@shared_task(name="reports.sweep_outbox")
def sweep_outbox() -> int:
    """Beat, every minute: pick up requests whose publish was lost (broker down when the data changed)."""
    if not engine.pending_count():
        return 0
    written = engine.process_outbox()
    return -1 if written is None else written.total


@shared_task(name="reports.refresh_current_period")
def refresh_current_period() -> int:
    """Beat, daily: a new quarter gets its figures without waiting for a data change."""
    return engine.recompute(periods=[Quarter.current()]).total


@shared_task(name="reports.render_quarterly")
def render_quarterly(run_id: int) -> None:
    """Render a big area's quarterly workbook in the background; the page shows its progress."""
    from .models import ReportRun
    from .quarterly.workbook import render_quarterly_run

    run = ReportRun.objects.select_related("area").get(pk=run_id)
    try:
        render_quarterly_run(run)
    except Exception as exc:
        ReportRun.objects.filter(pk=run_id).update(status=ReportRun.Status.FAILED, error=str(exc)[:2000])
        raise


@shared_task(name="reports.delete_expired_tokens")
def delete_expired_tokens() -> int:
    """Beat, hourly: API tokens past their expiry (the token check no longer sweeps them on every request)."""
    from registry.api.auth import delete_expired_tokens as delete

    return delete()
