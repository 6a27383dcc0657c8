"""``make bench``: the registry's hot paths against a lower bound measured in the same run, on PostgreSQL.

Each measurement is the median of several runs after a warm-up, printed with its lower bound, the ratio and the
target from the performance issue. Nothing here asserts: the table is the result.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction

BASE_DIR = Path(settings.BASE_DIR)


@dataclass
class Row:
    name: str
    value: float
    unit: str
    bound: float | None
    target: str
    met: bool | None
    note: str = ""

    @property
    def ratio(self) -> str:
        return f"{self.value / self.bound:.2f}×" if self.bound else "—"


def median_time(func: Callable[[], object], runs: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        func()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def median_times(funcs: list[Callable[[], object]], runs: int, warmup: int = 1) -> list[float]:
    """Like :func:`median_time` for several functions, their runs interleaved, so that a slow spell of the machine
    (autovacuum, another process) falls on all of them rather than on whichever ran then."""
    for _ in range(warmup):
        for func in funcs:
            func()
    times: list[list[float]] = [[] for _ in funcs]
    for _ in range(runs):
        for func, measured in zip(funcs, times, strict=True):
            started = time.perf_counter()
            func()
            measured.append(time.perf_counter() - started)
    return [statistics.median(measured) for measured in times]


class Rollback(Exception):
    """Raised to undo a measured write."""


def rolled_back(func: Callable[[], object]) -> Callable[[], object]:
    def run():
        try:
            with transaction.atomic():
                func()
                raise Rollback
        except Rollback:
            pass

    return run


# --- data -----------------------------------------------------------------------------------------------------------


def ensure_data(enterprises: int, members: int, out) -> None:
    """Reuse the synthetic province if it has the asked-for size, else generate it anew (and compute it)."""
    from members.models import Member
    from registry.models import Area, Enterprise

    from ..engine.recompute import recompute
    from .synthetic import Sizes, generate, wipe

    if (
        Area.objects.filter(code="SYN").exists()
        and Enterprise.objects.count() == enterprises
        and Member.objects.count() == members
    ):
        out(f"using the existing synthetic province ({enterprises} enterprises, {members} members)")
        from registry.periods import Quarter

        recompute(periods=[Quarter.current()])  # idempotent: writes only what is missing or stale
        return
    out(f"generating {enterprises} enterprises and {members} members …")
    started = time.perf_counter()
    wipe()
    generate(Sizes(enterprises=enterprises, members=members))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    out(f"  generated in {time.perf_counter() - started:.1f}s; computing every quarter …")
    started = time.perf_counter()
    recompute(periods=None)
    # What autovacuum would soon do: the plans measured below see the stored rows' real sizes.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    out(f"  computed in {time.perf_counter() - started:.1f}s")


# --- P1 recompute ---------------------------------------------------------------------------------------------------

RAW_FIGURES_SQL = """
WITH employed AS (
    SELECT m.enterprise_id, count(*) AS n, count(*) FILTER (WHERE m.category = 'full') AS full_members
    FROM members_member m
    WHERE m.enterprise_id IS NOT NULL AND m.joined_on <= %(d)s AND (m.ended_on IS NULL OR m.ended_on > %(d)s)
    GROUP BY m.enterprise_id
),
states AS (
    SELECT e.id, e.area_id, e.category,
           EXISTS (SELECT 1 FROM registry_abovescaleperiod p WHERE p.enterprise_id = e.id
                   AND p.start <= %(d)s AND (p."end" IS NULL OR p."end" > %(d)s)) AS above_scale,
           CASE
             WHEN EXISTS (SELECT 1 FROM orgs_organizationlink l JOIN orgs_partyorganization o ON o.id = l.organization_id
                          WHERE l.enterprise_id = e.id AND o.setup = 'single' AND l.start <= %(d)s
                          AND (l."end" IS NULL OR l."end" > %(d)s) AND o.founded_on <= %(d)s
                          AND (o.dissolved_on IS NULL OR o.dissolved_on > %(d)s)) THEN 'single'
             WHEN EXISTS (SELECT 1 FROM orgs_organizationlink l JOIN orgs_partyorganization o ON o.id = l.organization_id
                          WHERE l.enterprise_id = e.id AND o.setup = 'joint' AND l.start <= %(d)s
                          AND (l."end" IS NULL OR l."end" > %(d)s) AND o.founded_on <= %(d)s
                          AND (o.dissolved_on IS NULL OR o.dissolved_on > %(d)s)) THEN 'joint'
             WHEN EXISTS (SELECT 1 FROM members_instructorassignment a WHERE a.enterprise_id = e.id
                          AND a.start <= %(d)s AND (a."end" IS NULL OR a."end" > %(d)s)) THEN 'work'
             ELSE 'none' END AS state,
           coalesce(em.n, 0) AS party_members, coalesce(em.full_members, 0) AS full_members
    FROM registry_enterprise e LEFT JOIN employed em ON em.enterprise_id = e.id
    WHERE e.established_on <= %(d)s AND (e.deregistered_on IS NULL OR e.deregistered_on > %(d)s)
),
area_states AS (
    SELECT a.id AS area_id, s.category, s.above_scale, s.state, count(*) AS n
    FROM registry_area a JOIN registry_area leaf ON leaf.path LIKE a.path || '%%'
    JOIN states s ON s.area_id = leaf.id
    GROUP BY a.id, s.category, s.above_scale, s.state
),
held AS (
    SELECT m.organization_id, count(*) AS total,
           count(*) FILTER (WHERE m.category = 'full') AS full_members,
           count(*) FILTER (WHERE m.gender = 'F') AS female,
           count(*) FILTER (WHERE m.ethnicity <> '汉族') AS minority,
           count(*) FILTER (WHERE m.education IN ('postgraduate', 'bachelor', 'college')) AS college,
           count(*) FILTER (WHERE m.birth_date > %(young)s) AS under_35,
           count(*) FILTER (WHERE m.is_mobile) AS mobile,
           sum(date_part('year', age(%(d)s, m.birth_date))) AS age_sum
    FROM members_member m
    WHERE m.joined_on <= %(d)s AND (m.ended_on IS NULL OR m.ended_on > %(d)s)
    GROUP BY m.organization_id
),
units AS (
    SELECT l.organization_id, count(*) AS n FROM orgs_organizationlink l
    WHERE l.start <= %(d)s AND (l."end" IS NULL OR l."end" > %(d)s)
    GROUP BY l.organization_id
),
org_states AS (
    SELECT o.id, o.area_id, coalesce(h.total, 0) AS members, coalesce(h.full_members, 0) AS full_members,
           coalesce(u.n, 0) AS units
    FROM orgs_partyorganization o
    LEFT JOIN held h ON h.organization_id = o.id LEFT JOIN units u ON u.organization_id = o.id
    WHERE o.founded_on <= %(d)s AND (o.dissolved_on IS NULL OR o.dissolved_on > %(d)s)
),
area_members AS (
    SELECT a.id AS area_id, sum(h.total) AS total, sum(h.full_members) AS full_members, sum(h.female) AS female,
           sum(h.minority) AS minority, sum(h.college) AS college, sum(h.under_35) AS under_35,
           sum(h.mobile) AS mobile, sum(h.age_sum) AS age_sum
    FROM held h JOIN orgs_partyorganization o ON o.id = h.organization_id
    JOIN registry_area leaf ON leaf.id = o.area_id
    JOIN registry_area a ON leaf.path LIKE a.path || '%%'
    GROUP BY a.id
)
SELECT (SELECT count(*) FROM area_states), (SELECT count(*) FROM area_members),
       (SELECT sum(party_members + full_members) FROM states), (SELECT sum(members + units) FROM org_states)
"""


def bench_recompute(runs: int, out) -> list[Row]:
    from registry.models import Enterprise
    from registry.periods import Quarter
    from registry.services import update_enterprise

    from ..engine.recompute import process_outbox, recompute

    quarter = Quarter.current()
    day = quarter.last_day
    recompute(periods=[quarter])  # bring the current quarter up to date before timing
    full = median_time(lambda: recompute(periods=[quarter]), runs)
    rerun = recompute(periods=[quarter]).total

    def raw():
        with connection.cursor() as cursor:
            cursor.execute(RAW_FIGURES_SQL, {"d": day, "young": day.replace(year=day.year - 35)})
            cursor.fetchall()

    bound = median_time(raw, runs)

    # One edit through the service (which records the outbox row and publishes to the in-memory broker), then the
    # drain a worker would run. The edit flips 规上 from today, alternately on and off.
    firm = Enterprise.objects.operating_on(day).order_by("pk")[100]
    edits = []
    for _ in range(runs + 1):
        update_enterprise(enterprise=firm, above_scale=not firm.above_scale_on(dt.date.today()))
        started = time.perf_counter()
        process_outbox()
        edits.append(time.perf_counter() - started)
    edit = statistics.median(edits[1:])
    return [
        Row(
            "P1 full recompute, current quarter, every area",
            full,
            "s",
            bound,
            "≤ 1.5 × bound + 1 s",
            full <= 1.5 * bound + 1,
        ),
        Row("P1 rerun with no data change: rows written", rerun, "rows", None, "0", rerun == 0),
        Row("P1 recompute after editing one enterprise", edit * 1000, "ms", None, "≤ 100 ms", edit <= 0.1),
    ]


# --- P2 quarterly workbook ------------------------------------------------------------------------------------------


def bench_workbook(runs: int, out) -> list[Row]:
    from openpyxl import Workbook

    from registry.models import Area, Enterprise
    from registry.periods import Quarter

    from ..quarterly.report import build_quarterly_report, enterprise_rows
    from ..quarterly.workbook import write_quarterly_workbook

    quarter = Quarter.current()
    areas = Area.objects.filter(parent__code="SYN").order_by("path")
    area = (
        max(areas, key=lambda a: Enterprise.objects.in_area(a).count())
        if areas
        else Area.objects.get(code="SYN")
    )
    size = Enterprise.objects.in_area(area).count()

    def ours():
        buffer = io.BytesIO()
        write_quarterly_workbook(build_quarterly_report(area, quarter), buffer)

    report = build_quarterly_report(area, quarter)
    cells = list(enterprise_rows(report))

    def bare():
        wb = Workbook(write_only=True)
        for title in ("汇总", "分区域", "组建方式", "党员构成", "变化情况"):
            wb.create_sheet(title).append([title])
        sheet = wb.create_sheet("单位明细")
        for row in cells:
            sheet.append(row)
        wb.save(io.BytesIO())

    value, bound = median_times([ours, bare], runs)
    peak = _peak_rss_growth(ours)
    tracemalloc.start()
    ours()
    python_peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
    tracemalloc.stop()
    return [
        Row(
            f"P2 quarterly workbook, area of {size} units",
            value,
            "s",
            bound,
            "≤ 1.5 × bound",
            value <= 1.5 * bound,
        ),
        Row(
            "P2 peak memory while writing it (process RSS growth)", peak, "MB", None, "≤ 150 MB", peak <= 150
        ),
        Row("P2 peak Python allocations while writing it", python_peak, "MB", None, "(reported)", None),
    ]


def _peak_rss_growth(func: Callable[[], object]) -> float:
    """How far ``func`` raises the process's peak resident memory, in MB, measured in a forked child (whose peak
    starts at the parent's current size), so what the parent ran before does not hide it."""
    import multiprocessing
    import resource

    from django.db import connections

    def child(queue):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        func()
        queue.put((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)  # kB on Linux
        connections.close_all()

    connections.close_all()  # a forked child must open its own database connection
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=child, args=(queue,))
    process.start()
    grown = queue.get(timeout=600)
    process.join()
    return grown


# --- P3 import ------------------------------------------------------------------------------------------------------


def _import_file(count: int) -> bytes:
    """A workbook of ``count`` new enterprises in the enterprise import layout (the export's own columns)."""
    from openpyxl import Workbook

    from registry.models import Area
    from registry.rules import credit_code_check_char

    from ..workbooks import ENTERPRISES, write_sheet

    area = Area.objects.filter(kind="park").order_by("path").first()
    rows = []
    for i in range(count):
        first17 = f"91440961{i:09d}"
        rows.append(
            {
                "credit_code": first17 + credit_code_check_char(first17),
                "name": f"导入测试企业{i}有限公司",
                "category": "enterprise",
                "economic_type": "private",
                "industry": "制造业",
                "area": area.code,
                "area_name": area.name,
                "above_scale": i % 4 == 0,
                "above_scale_since": None,
                "employees": 50 + i % 300,
                "established_on": dt.date(2020, 1, 1) + dt.timedelta(days=i % 1500),
                "deregistered_on": None,
                "address": "",
                "contact_person": "",
                "contact_phone": "",
                "coverage": "",
                "party_members": 0,
            }
        )
    wb = Workbook(write_only=True)
    write_sheet(wb, ENTERPRISES, iter(rows))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def bench_import(runs: int, rows: int, out) -> list[Row]:
    from openpyxl import load_workbook

    from ..imports import run_import

    data = _import_file(rows)
    user = _bench_user("admin")
    result = run_import("enterprises", data, dry_run=True, user=user)
    if result.errors:
        raise RuntimeError(f"the benchmark file does not validate: {result.errors[:3]}")

    def parse_and_copy():
        values = [
            tuple("" if v is None else str(v) for v in row)
            for row in load_workbook(io.BytesIO(data), read_only=True).active.iter_rows(
                min_row=2, values_only=True
            )
        ]
        with transaction.atomic(), connection.cursor() as cursor:
            width = len(values[0])
            cursor.execute(
                f"CREATE TEMP TABLE bench_rows ({', '.join(f'c{i} text' for i in range(width))}) ON COMMIT DROP"
            )
            with cursor.cursor.copy("COPY bench_rows FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)

    bound = median_time(parse_and_copy, runs)
    dry = median_time(lambda: run_import("enterprises", data, dry_run=True, user=user), runs)
    commit = median_time(
        rolled_back(lambda: run_import("enterprises", data, dry_run=False, user=user)), max(1, runs // 2)
    )
    out_rows = [
        Row(f"P3 import dry run, {rows} rows", dry, "s", bound, "≤ 3 × (parse + COPY)", dry <= 3 * bound),
        Row(f"P3 import commit, {rows} rows", commit, "s", bound, "(reported)", None),
    ]
    peer = _import_export_time(data, out)
    if peer is not None:
        out_rows.append(
            Row(
                "P3 django-import-export, same file, commit",
                peer,
                "s",
                commit,
                "ours ≥ 5 × faster",
                peer >= 5 * commit,
                note="bound column = ours",
            )
        )
    return out_rows


def _import_export_time(data: bytes, out) -> float | None:
    """The same import with django-import-export (installed only for the benchmark)."""
    try:
        import tablib
        from import_export import fields, resources, widgets
    except ImportError:
        out("  django-import-export is not installed: `make bench` installs it; skipping the comparison")
        return None
    from registry.models import Area, Enterprise

    class ChoiceLabel(widgets.Widget):
        def __init__(self, choices):
            self.by_label = {str(label): value for value, label in choices}
            super().__init__()

        def clean(self, value, row=None, **kwargs):
            return self.by_label.get(value, value)

    class EnterpriseResource(resources.ModelResource):
        credit_code = fields.Field("credit_code", "统一社会信用代码")
        name = fields.Field("name", "单位名称")
        category = fields.Field(
            "category", "类别", widget=ChoiceLabel(Enterprise._meta.get_field("category").choices)
        )
        economic_type = fields.Field(
            "economic_type",
            "经济类型",
            widget=ChoiceLabel(Enterprise._meta.get_field("economic_type").choices),
        )
        industry = fields.Field("industry", "所属行业")
        area = fields.Field("area", "区域代码", widget=widgets.ForeignKeyWidget(Area, "code"))
        employees = fields.Field("employees", "从业人员数", widget=widgets.IntegerWidget())
        established_on = fields.Field("established_on", "成立日期", widget=widgets.DateWidget())

        class Meta:
            model = Enterprise
            import_id_fields = ("credit_code",)
            fields = (
                "credit_code",
                "name",
                "category",
                "economic_type",
                "industry",
                "area",
                "employees",
                "established_on",
            )
            skip_unchanged = True
            clean_model_instances = True

    dataset = tablib.Dataset().load(io.BytesIO(data), format="xlsx")

    def run():
        result = EnterpriseResource().import_data(dataset, dry_run=False, raise_errors=True)
        if result.has_errors() or result.has_validation_errors():
            raise RuntimeError("django-import-export reported errors")

    return median_time(rolled_back(run), 1, warmup=0)


# --- P4 HTTP ----------------------------------------------------------------------------------------------------------


def _bench_user(role: str):
    from django.contrib.auth.models import User

    from registry.models import Area, UserProfile

    user, created = User.objects.get_or_create(username=f"bench-{role}")
    if role == "admin":
        User.objects.filter(pk=user.pk).update(is_superuser=True, is_staff=True)
        user.refresh_from_db()
    elif created:
        UserProfile.objects.create(user=user, role=role, area=Area.objects.get(code="SYN"))
    return user


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wrk(url: str, seconds: int, headers: dict[str, str]) -> dict:
    args = ["wrk", "-t1", "-c8", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    for key, value in headers.items():
        args += ["-H", f"{key}: {value}"]
    text = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", text)
    p99_ms = float(p99.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    errors = 0
    for pattern in (
        r"Non-2xx or 3xx responses:\s+(\d+)",
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
    ):
        match = re.search(pattern, text)
        if match:
            errors += sum(int(g) for g in match.groups())
    return {"rps": rps, "p99": p99_ms, "errors": errors}


def bench_http(seconds: int, out) -> list[Row]:
    from knox.models import AuthToken

    from registry.periods import Quarter

    if shutil.which("wrk") is None:
        out("  wrk is not installed (`apt-get install wrk`): skipping P4")
        return []
    reader = _bench_user("reader")
    AuthToken.objects.filter(user=reader).delete()  # one token per run, not one more each time
    _instance, token = AuthToken.objects.create(reader)
    port = _free_port()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key-0123456789-0123456789-0123456789",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "API_THROTTLE_RATE": "100000000/hour",
        "ROOT_URLCONF": "config.bench_urls",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": "",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        stats_url = f"{base}/api/v1/coverage/?area=SYN&period={Quarter.current()}"
        auth = {"Authorization": f"Token {token}"}
        _wrk(stats_url, 2, auth)  # warm-up
        _wrk(f"{base}/bench/bare/", 2, {})
        bare = _wrk(f"{base}/bench/bare/", seconds, {})
        stats = _wrk(stats_url, seconds, auth)
        busy = threading.Event()

        def recompute_loop():
            from django.db import connections

            from ..engine.recompute import recompute

            while not busy.is_set():
                recompute(periods=[Quarter.current()])
            connections.close_all()

        worker = threading.Thread(target=recompute_loop)
        worker.start()
        try:
            during = _wrk(stats_url, seconds, auth)
        finally:
            busy.set()
            worker.join()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    return [
        Row(
            "P4 coverage endpoint throughput (req/s)",
            stats["rps"],
            "req/s",
            bare["rps"],
            "≥ 0.5 × bare Django view",
            stats["rps"] >= 0.5 * bare["rps"],
        ),
        Row("P4 coverage endpoint p99 latency", stats["p99"], "ms", None, "≤ 100 ms", stats["p99"] <= 100),
        Row(
            "P4 errors",
            stats["errors"] + during["errors"],
            "",
            None,
            "0",
            stats["errors"] + during["errors"] == 0,
        ),
        Row("P4 throughput while a recompute runs", during["rps"], "req/s", bare["rps"], "(reported)", None),
        Row("P4 p99 while a recompute runs", during["p99"], "ms", None, "≤ 100 ms", during["p99"] <= 100),
    ]


def render(rows: list[Row]) -> str:
    header = (
        f"| {'measurement':<52} | {'value':>12} | {'lower bound':>12} | {'ratio':>7} | {'target':<26} | met |"
    )
    lines = [header, "|" + "|".join("-" * (len(c) + 0) for c in header.split("|")[1:-1]) + "|"]
    for r in rows:
        value = (
            f"{r.value:.3f} {r.unit}"
            if isinstance(r.value, float) and r.value % 1
            else f"{r.value:g} {r.unit}"
        )
        bound = f"{r.bound:.3f}" if r.bound is not None else "—"
        met = "—" if r.met is None else ("yes" if r.met else "NO")
        lines.append(
            f"| {r.name:<52} | {value:>12} | {bound:>12} | {r.ratio:>7} | {r.target:<26} | {met:>3} |"
        )
    return "\n".join(lines)
