"""Celery tasks of the registry: thin wrappers, queued after commit."""

from __future__ import annotations

from celery import shared_task

from .excel.jobs import create_job, run_job


@shared_task(name="registry.run_import_job")
def run_import_job(job_id: int) -> None:
    """Run an uploaded Excel import (dry run or commit) in the background; the upload page polls its progress."""
    run_job(job_id)


def start_job(*, kind: str, upload, dry_run: bool, user, source=None):
    """Store the upload (or reuse ``source``'s file) as an ImportJob and queue it after commit."""
    job = create_job(kind=kind, upload=upload, dry_run=dry_run, user=user, source=source)
    run_import_job.delay_on_commit(job.pk)
    return job
