import logging
import os
import time

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("registry", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# One structured line per task run (recompute, import, report jobs alike): what ran, its id, how it ended and
# how long it took, so a job a user waits for can be found in the worker's log by the id the page shows.
task_logger = logging.getLogger("registry.tasks")
_started: dict[str, float] = {}


@task_prerun.connect
def _task_started(task_id=None, **kwargs):
    _started[task_id] = time.monotonic()


@task_postrun.connect
def _task_finished(task_id=None, task=None, state=None, **kwargs):
    started = _started.pop(task_id, None)
    duration_ms = round((time.monotonic() - started) * 1000, 1) if started is not None else -1
    task_logger.info(
        "task=%s id=%s state=%s duration_ms=%s", getattr(task, "name", "?"), task_id, state, duration_ms
    )
