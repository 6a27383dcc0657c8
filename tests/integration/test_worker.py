"""A real Celery worker, fed through Redis, keeps the stored figures in step with the data.

Runs when the suite is pointed at PostgreSQL and a Redis broker (as .ci/run does); skipped on the embedded default.
"""

import datetime as dt
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app
from registry.models import RecomputeRequest
from registry.outbox import resume_publishing
from registry.periods import Quarter
from reports.engine.recompute import recompute
from reports.models import Snapshot
from tests.factories import AboveScalePeriodFactory, AreaFactory, EnterpriseFactory, make_user

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

BASE_DIR = Path(__file__).resolve().parents[2]
HEADLINE = "org-coverage-above-scale"


def _skip_unless_real_services():
    if not settings.CELERY_BROKER_URL:
        pytest.skip("needs CELERY_BROKER_URL (Redis) — the embedded default runs Celery eagerly")
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs DATABASE_URL pointing at PostgreSQL so a worker process can share the test database"
        )


def wait_for(predicate, timeout=30.0, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


@pytest.fixture
def worker(transactional_db):
    _skip_unless_real_services()
    db = connection.settings_dict
    env = dict(os.environ)
    env["DATABASE_URL"] = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    )
    env["DEBUG"] = "1"
    env["MEDIA_ROOT"] = str(settings.MEDIA_ROOT)  # the worker reads the uploads this test stores
    celery_app.control.purge()
    artifacts = BASE_DIR / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    log = (artifacts / "worker.log").open("w")  # noqa: SIM115 — closed in the finally below
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "-l",
            "info",
            "--without-heartbeat",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        assert wait_for(lambda: bool(celery_app.control.ping(timeout=0.5)), timeout=60), (
            "worker did not start"
        )
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _use_broker(url):
    """Point this process's publisher at ``url``, dropping pooled connections to the old one."""
    celery_app.conf.broker_url = celery_app.conf.broker_write_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    resume_publishing()  # a failure against the old broker must not pause publishing to the new one


def headline(area):
    return Snapshot.objects.get(area=area, period=str(Quarter.current()), indicator__code=HEADLINE)


def _firm_world():
    park = AreaFactory(code="WK")
    firm = EnterpriseFactory(area=park, established_on=dt.date(2020, 1, 1))
    AboveScalePeriodFactory(enterprise=firm, start=dt.date(2020, 1, 1))
    recompute(periods=[Quarter.current()])
    assert headline(park).denominator == 1
    return park, firm


def test_worker_updates_figure_after_a_change_made_through_the_web(worker, client):
    park, firm = _firm_world()
    client.force_login(make_user("clerk", role="staff", area=park))
    response = client.post(f"/enterprises/{firm.pk}/end/", {"on": dt.date.today().isoformat()})
    assert response.status_code == 302  # committed; the task was published to Redis after commit
    assert wait_for(lambda: headline(park).denominator == 0), "the worker did not recompute"
    assert not RecomputeRequest.objects.exists()


def test_change_while_broker_is_down_is_picked_up_later(worker, client):
    park, firm = _firm_world()
    real_url = celery_app.conf.broker_url
    _use_broker("redis://127.0.0.1:9/0")  # nothing listens there
    client.force_login(make_user("clerk", role="staff", area=park))
    try:
        response = client.post(f"/enterprises/{firm.pk}/end/", {"on": dt.date.today().isoformat()})
    finally:
        _use_broker(real_url)
    assert response.status_code == 302  # the request succeeds although publishing failed
    assert RecomputeRequest.objects.count() == 1
    time.sleep(2)
    assert headline(park).denominator == 1, "nothing should have been recomputed while the broker was down"
    # Broker back: the periodic sweep (what beat sends every minute) drains the outbox.
    celery_app.send_task("reports.sweep_outbox")
    assert wait_for(lambda: headline(park).denominator == 0), "the sweep did not pick the request up"
    assert not RecomputeRequest.objects.exists()


def test_worker_that_committed_an_import_still_logs_its_next_task(worker):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from registry.excel.jobs import create_job
    from registry.models import Enterprise, ImportJob
    from tests.excel import ENT_HEADERS, firm_row, make_staff, make_zone, workbook

    zone = make_zone()
    upload = SimpleUploadedFile("firms.xlsx", workbook(ENT_HEADERS, [firm_row(n) for n in range(1, 4)]))
    job = create_job(kind="enterprises", upload=upload, dry_run=False, user=make_staff(zone))

    imported = celery_app.send_task("registry.run_import_job", args=[job.pk])
    assert wait_for(lambda: ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.DONE), (
        ImportJob.objects.get(pk=job.pk).error
    )
    assert Enterprise.objects.count() == 3  # committed: the worker published the recompute task itself
    following = celery_app.send_task("reports.sweep_outbox")

    log = BASE_DIR / "test-artifacts" / "worker.log"
    pattern = r"task=%s id=%s state=SUCCESS duration_ms=\d+\.\d"
    assert wait_for(lambda: re.search(pattern % ("reports.sweep_outbox", following.id), log.read_text())), (
        log.read_text()[-3000:]
    )
    assert re.search(pattern % ("registry.run_import_job", imported.id), log.read_text())
