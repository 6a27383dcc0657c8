"""Every task run leaves one structured line (its name, id, outcome, duration), and publishing the recompute task
from a worker never re-runs Django's setup (which silenced the worker's log after an import: issue 17)."""

import logging
import re

import pytest

import registry.tasks  # noqa: F401 — the task modules, loaded as a worker loads them
import reports.tasks  # noqa: F401
from config.celery import app as celery_app
from registry import outbox

pytestmark = pytest.mark.django_db

# (The tests import the task modules instead of calling import_default_modules(): that re-runs django.setup(),
# whose logging config would remove pytest's log capture just as it removed the worker's output.)

LINE = re.compile(
    r"^task=(?P<name>\S+) id=(?P<id>[0-9a-f-]{36}) state=(?P<state>[A-Z]+) duration_ms=\d+\.\d$"
)


def task_lines(caplog) -> list[dict]:
    return [LINE.match(r.getMessage()).groupdict() for r in caplog.records if r.name == "registry.tasks"]


@pytest.mark.parametrize(
    ("name", "args"),
    [("reports.recompute_pending", []), ("reports.sweep_outbox", []), ("registry.run_import_job", [0])],
)
def test_each_task_run_logs_one_line_with_its_id_and_duration(caplog, name, args):
    caplog.set_level(logging.INFO, logger="registry.tasks")

    result = celery_app.tasks[name].apply(args=args, throw=False)  # run_import_job(0): no such job, it fails

    state = "FAILURE" if name == "registry.run_import_job" else "SUCCESS"
    assert task_lines(caplog) == [{"name": name, "id": result.id, "state": state}]


def test_publishing_where_the_task_is_loaded_does_not_reload_the_task_modules(monkeypatch):
    reloads = []
    monkeypatch.setattr(celery_app.loader, "import_default_modules", lambda: reloads.append(1))
    ran = []
    monkeypatch.setattr(celery_app.tasks[outbox.RECOMPUTE_TASK], "apply_async", lambda **kw: ran.append(kw))

    assert outbox.publish_recompute() is True
    assert (reloads, ran) == ([], [{"retry": False}])


def test_publishing_in_embedded_mode_loads_the_task_without_reconfiguring_logging(monkeypatch):
    task = celery_app.tasks[outbox.RECOMPUTE_TASK]
    monkeypatch.delitem(celery_app.tasks, outbox.RECOMPUTE_TASK)  # as in a fresh web process
    reloads, discovered = [], []
    monkeypatch.setattr(celery_app.loader, "import_default_modules", lambda: reloads.append(1))

    def autodiscover(**kwargs):  # what importing reports.tasks does in a fresh process
        discovered.append(kwargs)
        celery_app.tasks[outbox.RECOMPUTE_TASK] = task

    monkeypatch.setattr(celery_app, "autodiscover_tasks", autodiscover)

    assert outbox.publish_recompute() is True
    assert (reloads, discovered) == ([], [{"force": True}])
