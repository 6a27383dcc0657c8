"""Imports as stored jobs: the upload is kept with the job, a worker runs it and saves progress and the result.

``registry.tasks.start_job`` creates a job here and queues ``registry.run_import_job``, which calls :func:`run_job`.
"""

from __future__ import annotations

from django.utils import timezone

from registry.models import ImportJob

from .importer import run_import


def create_job(*, kind: str, upload, dry_run: bool, user, source: ImportJob | None = None) -> ImportJob:
    """Store the upload (or reuse ``source``'s file, when confirming a preview) as a pending ImportJob."""
    job = ImportJob(kind=kind, dry_run=dry_run, created_by=user)
    if source is not None:
        job.file.name = source.file.name
        job.original_name = source.original_name
    else:
        job.original_name = (getattr(upload, "name", "") or "")[:200]
        job.file.save(f"{kind}.xlsx", upload, save=False)
    job.save()
    return job


def run_job(job_id: int) -> None:
    """Run a stored :class:`registry.models.ImportJob`; progress and the result JSON are saved on the job."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    ImportJob.objects.filter(pk=job_id).update(status=ImportJob.Status.RUNNING, progress=1)

    def progress(done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(progress=max(1, min(99, done * 100 // max(total, 1))))

    try:
        with job.file.open("rb") as handle:
            result = run_import(job.kind, handle, dry_run=job.dry_run, user=job.created_by, progress=progress)
    except Exception as exc:
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJob.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportJob.Status.DONE, progress=100, result=result.to_dict(), finished_at=timezone.now()
    )
