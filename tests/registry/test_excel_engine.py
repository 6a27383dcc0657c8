"""The Excel engine, exercised through the enterprise kind: templates, dry runs, all-or-nothing writes, real-world
cells, the malformed-file corpus, limits, jobs and pages, query counts; and that the engine knows no app above it."""

from __future__ import annotations

import ast
import datetime as dt
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from registry.excel.importer import KINDS, run_import
from registry.models import AboveScalePeriod, Enterprise, ImportJob, RecomputeRequest
from registry.tasks import start_job
from tests.excel import (
    ENT_HEADERS,
    XLSX,
    firm_row,
    post,
    workbook,
)
from tests.factories import EnterpriseFactory, make_credit_code, make_user

# The Excel tests' shared fixtures (zone, staff, api, ledger, world).
pytest_plugins = ["tests.excel"]
pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------- template ----


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_template_has_chinese_headers_an_example_row_and_notes(api, kind):
    response = api.get(f"/api/v1/imports/{kind}/template/")
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == [KINDS[kind].title, "填写说明"]
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    assert list(rows[0]) == [c.header for c in KINDS[kind].importable]
    assert len(rows) == 2 and rows[1][0] is not None
    assert wb.worksheets[0].freeze_panes == "A2"
    notes = [r[0] for r in wb["填写说明"].iter_rows(values_only=True)]
    assert notes[0] == "列名" and notes[1] == KINDS[kind].importable[0].header


# ---------------------------------------------------------------- dry run, all or nothing ----


def test_dry_run_lists_creates_and_writes_nothing(api):
    data = workbook(ENT_HEADERS, [firm_row(1), firm_row(2, above="是")])
    response = post(api, "enterprises", data)
    assert response.status_code == 200
    body = response.json()
    assert body["summary"] == {
        "rows": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "changes": 2,
        "errors": 0,
    }
    assert body["applied"] is False
    assert [r["action"] for r in body["rows"]] == ["create", "create"]
    assert body["rows"][0]["row"] == 2 and body["rows"][0]["key"] == make_credit_code(1)
    assert Enterprise.objects.count() == 0


def test_a_bad_row_writes_nothing_and_names_row_and_column(api):
    data = workbook(
        ENT_HEADERS,
        [
            firm_row(1),
            firm_row(2, category="国企"),
            firm_row(3, code="91440800000000003X"),
            firm_row(4, area="NOPE"),
        ],
    )
    response = post(api, "enterprises", data, dry_run="false")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors == [
        {"row": 3, "column": "类别", "message": "“国企”不是有效的选项，可选：非公企业、社会组织。"},
        {
            "row": 4,
            "column": "统一社会信用代码",
            "message": "统一社会信用代码校验位错误：最后一位应为 H，请核对。",
        },
        {"row": 5, "column": "区域代码", "message": "未知的区域代码“NOPE”。"},
    ]
    assert response.json()["applied"] is False
    assert Enterprise.objects.count() == 0 and RecomputeRequest.objects.count() == 0


def test_duplicate_key_in_file_and_model_rule_are_reported(api):
    data = workbook(
        [*ENT_HEADERS, "注销/迁出日期"],
        [firm_row(1) + [None], firm_row(1) + [None], firm_row(2) + [dt.date(2019, 1, 1)]],
    )
    errors = post(api, "enterprises", data).json()["errors"]
    assert errors == [
        {"row": 3, "column": "统一社会信用代码", "message": f"与第 2 行重复（{make_credit_code(1)}）。"},
        {"row": 4, "column": "注销/迁出日期", "message": "注销/迁出日期应晚于成立日期。"},
    ]


@pytest.mark.parametrize("role", ["reader", "park", None])
def test_only_writers_may_import(zone, role):
    client = APIClient()
    client.force_authenticate(make_user("someone", role=role, area=zone))
    response = post(client, "enterprises", workbook(ENT_HEADERS, [firm_row(1)]))
    assert response.status_code == 403
    assert Enterprise.objects.count() == 0


def test_unknown_kind_is_404(api):
    assert api.get("/api/v1/imports/people/template/").status_code == 404
    assert post(api, "people", b"x").status_code == 404


# ---------------------------------------------------------------- real-world input ----


def test_full_width_digits_and_stray_spaces_are_normalised(api):
    code = make_credit_code(1)
    wide = (
        " "
        + "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in code[:9])
        + " "
        + code[9:]
        + "\u3000"
    )
    data = workbook(ENT_HEADERS, [firm_row(1, code=wide, name="  全角企业 ", area=" p1 ")])
    body = post(api, "enterprises", data, dry_run="false").json()
    assert body["errors"] == []
    firm = Enterprise.objects.get()
    assert (firm.credit_code, firm.name, firm.area.code) == (code, "全角企业", "P1")


@pytest.mark.parametrize(
    "cell", [dt.datetime(2025, 3, 1), "2025-03-01", "2025/3/1", "2025年3月1日", "２０２５－０３－０１"]
)
def test_dates_as_excel_dates_or_text(api, cell):
    body = post(
        api, "enterprises", workbook(ENT_HEADERS, [firm_row(1, established=cell)]), dry_run="false"
    ).json()
    assert body["errors"] == []
    assert Enterprise.objects.get().established_on == dt.date(2025, 3, 1)


def test_unreadable_date_is_reported(api):
    errors = post(api, "enterprises", workbook(ENT_HEADERS, [firm_row(1, established="去年")])).json()[
        "errors"
    ]
    assert errors == [
        {
            "row": 2,
            "column": "成立日期",
            "message": "无法识别的日期“去年”，请填写如 2025-03-01、2025/3/1 或 2025年3月1日。",
        }
    ]


def test_empty_trailing_rows_are_ignored(api):
    rows = [
        firm_row(1),
        [None] * 7,
        ["", " ", None, None, None, None, None],
        firm_row(2),
        [None] * 7,
        [None] * 7,
    ]
    body = post(api, "enterprises", workbook(ENT_HEADERS, rows)).json()
    assert body["errors"] == []
    assert [r["row"] for r in body["rows"]] == [2, 5]


def test_missing_required_column_is_a_file_error(api):
    body = post(api, "enterprises", workbook(ENT_HEADERS[:2], [firm_row(1)[:2]])).json()
    assert body["errors"] == [
        {"row": None, "column": "",
         "message": "第 1 行缺少必填列：类别、经济类型、区域代码、成立日期。请使用导入模板。"}
    ]  # fmt: skip


# ---------------------------------------------------------------- malformed-file corpus ----


def _rewrite(data: bytes, member: str, content: bytes) -> bytes:
    """Replace (or add, registered in [Content_Types].xml) one part of a workbook."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = content if info.filename == member else source.read(info.filename)
            if info.filename == "[Content_Types].xml" and member not in source.namelist():
                override = (
                    f'<Override PartName="/{member}" ContentType="application/'
                    'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
                )
                body = body.replace(b"</Types>", override.encode())
            target.writestr(info.filename, body)
        if member not in source.namelist():
            target.writestr(member, content)
    return out.getvalue()


LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
)


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (30 * 1024 * 1024))
    return out.getvalue()


def _corpus():
    good = workbook(ENT_HEADERS, [firm_row(1)])
    sst = (
        LAUGHS
        + b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol3;</t></si></sst>'
    )
    sheet = LAUGHS + (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>'
    )
    return {
        "not-xlsx": (b"name,code\n\xe4\xbc\x81\xe4\xb8\x9a,123\n", "不是 Excel 工作簿"),
        "encrypted": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4088, "文件已加密"),
        "zip-not-xlsx": (_rewrite(good, "xl/workbook.xml", b"")[:0] or _plain_zip(), "不是 Excel 工作簿"),
        "zip-bomb": (_zip_bomb(), "压缩炸弹"),
        "laughs-shared-strings": (_rewrite(good, "xl/sharedStrings.xml", sst), "不安全的 XML"),
        "laughs-sheet": (_rewrite(good, "xl/worksheets/sheet1.xml", sheet), "不安全的 XML"),
        "truncated": (good[: len(good) // 2], "不是 Excel 工作簿"),
        "empty": (b"", "文件是空的"),
    }


def _plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return out.getvalue()


def test_openpyxl_parses_through_defusedxml():
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True


@pytest.mark.parametrize("case", list(_corpus()))
def test_malformed_files_get_a_chinese_message_a_400_and_no_rows(api, case):
    data, expected = _corpus()[case]
    response = post(api, "enterprises", data, dry_run="false")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert len(errors) == 1 and errors[0]["row"] is None
    assert expected in errors[0]["message"]
    assert Enterprise.objects.count() == 0


def test_size_and_row_limits_are_settings(api):
    data = workbook(ENT_HEADERS, [firm_row(1), firm_row(2), firm_row(3)])
    with override_settings(IMPORT_MAX_ROWS=2):
        errors = post(api, "enterprises", data).json()["errors"]
    assert errors[0]["message"] == "数据行超过上限 2 行，请拆分文件后分批导入。"
    # A downloaded ledger (a title row above the header) at exactly the limit is read, not refused one row early.
    titled = workbook(
        ["单位台账 示范区"], [ENT_HEADERS, firm_row(1), firm_row(2)]
    )  # row 1 a title, 2 the header
    with override_settings(IMPORT_MAX_ROWS=2):
        response = post(api, "enterprises", titled)
    assert response.status_code == 200, response.content
    with override_settings(IMPORT_MAX_BYTES=1000):
        response = post(api, "enterprises", data)
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"].startswith("文件过大")


# ---------------------------------------------------------------- jobs and pages ----


def test_the_celery_job_gives_the_same_result_as_the_inline_path(
    staff, ledger, django_capture_on_commit_callbacks
):
    data = workbook(ENT_HEADERS, [firm_row(50), firm_row(51, category="坏值"), firm_row(1, area="P1")])
    inline = run_import("enterprises", data, dry_run=True, user=staff).to_dict()
    upload = io.BytesIO(data)
    upload.name = "firms.xlsx"
    from django.core.files.uploadedfile import SimpleUploadedFile

    with django_capture_on_commit_callbacks(execute=True):
        job = start_job(
            kind="enterprises", upload=SimpleUploadedFile("firms.xlsx", data), dry_run=True, user=staff
        )
    job.refresh_from_db()
    assert (job.status, job.progress) == ("done", 100)
    assert job.result == inline
    assert job.result["errors"] == [
        {"row": 3, "column": "类别", "message": "“坏值”不是有效的选项，可选：非公企业、社会组织。"}
    ]


def test_large_upload_through_the_api_becomes_a_job(api, django_capture_on_commit_callbacks):
    data = workbook(ENT_HEADERS, [firm_row(1)])
    with override_settings(IMPORT_INLINE_MAX_BYTES=100), django_capture_on_commit_callbacks(execute=True):
        response = post(api, "enterprises", data, dry_run="false")
    assert response.status_code == 202
    job_id = response.json()["id"]
    status = api.get(f"/api/v1/imports/jobs/{job_id}/").json()
    assert (status["status"], status["result"]["applied"]) == ("done", True)
    assert Enterprise.objects.count() == 1


def test_upload_page_previews_then_confirms(client, staff, django_capture_on_commit_callbacks):
    client.force_login(staff)
    page = client.get("/imports/enterprises/")
    assert page.status_code == 200 and "/api/v1/imports/enterprises/template/" in page.content.decode()
    upload = io.BytesIO(workbook(ENT_HEADERS, [firm_row(1)]))
    upload.name = "firms.xlsx"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/imports/enterprises/", {"file": upload})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/imports/jobs/{job.pk}/"
    html = client.get(response["Location"]).content.decode()
    assert "预览：共 1 行，1 处变更" in html and "确认导入" in html
    assert Enterprise.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(f"/imports/jobs/{job.pk}/confirm/")
    html = client.get(confirmed["Location"]).content.decode()
    assert "已导入：共 1 行，1 处变更" in html
    assert Enterprise.objects.count() == 1


def test_job_page_polls_with_htmx_while_running(client, staff):
    client.force_login(staff)
    job = ImportJob.objects.create(kind="enterprises", created_by=staff, file="imports/x.xlsx", progress=40)
    html = client.get(f"/imports/jobs/{job.pk}/").content.decode()
    assert f'hx-get="/imports/jobs/{job.pk}/progress/"' in html and "40%" in html
    assert "django_htmx/htmx-2.min.js" in html and "<script>" not in html
    job.status = "done"
    job.result = {"summary": {}, "rows": [], "errors": []}
    job.save()
    assert client.get(f"/imports/jobs/{job.pk}/progress/")["HX-Refresh"] == "true"
    other = make_user("other", role="staff", area=staff.profile.area)
    client.force_login(other)
    assert client.get(f"/imports/jobs/{job.pk}/").status_code == 404


def test_page_shows_errors_with_400(client, staff, django_capture_on_commit_callbacks):
    client.force_login(staff)
    upload = io.BytesIO(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    upload.name = "secret.xlsx"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/imports/enterprises/", {"file": upload})
    page = client.get(response["Location"])
    assert page.status_code == 400
    assert "文件已加密" in page.content.decode() and "整个文件" in page.content.decode()


# ---------------------------------------------------------------- query counts ----


def _firms_file(n: int, offset: int) -> bytes:
    return workbook(ENT_HEADERS, [firm_row(offset + i, above="是" if i % 2 else "否") for i in range(n)])


@pytest.mark.parametrize("dry_run", [True, False])
def test_query_count_does_not_grow_per_row(staff, zone, dry_run):
    from django.contrib.contenttypes.models import ContentType

    # The audit log's content types are cached after their first lookup: look them up before counting.
    ContentType.objects.get_for_models(Enterprise, AboveScalePeriod)
    counts = []
    # Both sizes fit one bulk batch (SQLite caps a statement at 999 parameters: 66 audit rows, and 40 rows log
    # 20 created firms, their 20 规上 periods and 20 changed firms); batches, not rows, add queries.
    for n, offset in ((10, 1000), (40, 2000)):
        # half the rows update existing firms, half create new ones
        for i in range(0, n, 2):
            EnterpriseFactory(credit_code=make_credit_code(offset + i), area=zone.children.get(code="P1"))
        user = User.objects.get(pk=staff.pk)  # a fresh user: its access is looked up once per import
        with CaptureQueriesContext(connection) as queries:
            result = run_import("enterprises", _firms_file(n, offset), dry_run=dry_run, user=user)
        assert result.errors == []
        counts.append(len(queries))
    assert counts[0] == counts[1]


# ---------------------------------------------------------------- the engine knows no app above it ----

FIRST_PARTY = ("config", "registry", "orgs", "members", "reports")


def _imports(module: str) -> dict[str, set[str]]:
    """What a first-party module imports (at the top or inside a function): {module: {names}}; relative
    imports are resolved, and ``from package import module`` counts as importing ``package.module``."""
    path = Path(settings.BASE_DIR, *module.split("."))
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: dict[str, set[str]] = {}
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.setdefault(alias.name, set())
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
            source = (f"{base}.{node.module}" if node.module else base) if node.level else node.module
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                if Path(settings.BASE_DIR, *submodule.split(".")).with_suffix(".py").exists():
                    found.setdefault(submodule, set())
                else:
                    found.setdefault(source, set()).add(alias.name)
    return {name: names for name, names in found.items() if name.split(".")[0] in FIRST_PARTY}


def _engine_modules() -> list[str]:
    folder = Path(settings.BASE_DIR, "registry", "excel")
    return sorted(f"registry.excel.{p.stem}" for p in folder.glob("*.py") if p.stem != "__init__")


def test_the_engine_imports_no_model_but_its_job_and_nothing_above_registry():
    imported: dict[str, set[str]] = {}
    for module in _engine_modules():
        for name, names in _imports(module).items():
            imported.setdefault(name, set()).update(names)
    outside = {name for name in imported if not name.startswith("registry.excel")}
    assert outside == {
        "registry.access",
        "registry.api.mixins",
        "registry.audit",
        "registry.models",
        "registry.rules",
        "registry.tasks",
        "registry.validators",
    }
    assert imported["registry.models"] == {"ImportJob"}
    # The kinds come in through registration, never by import.
    assert not any(name.endswith("workbook") for name in imported)


def test_workbooks_and_the_job_task_import_one_way_with_no_cycle():
    modules = [*_engine_modules(), "registry.tasks", "registry.workbook", "orgs.workbook", "members.workbook"]
    graph = {m: {n for n in _imports(m) if n in modules} for m in modules}
    assert not {n for n in _imports("registry.workbook") if n.split(".")[0] in ("orgs", "members", "reports")}
    assert not {n for n in _imports("orgs.workbook") if n.split(".")[0] in ("members", "reports")}
    assert not {n for n in _imports("members.workbook") if n.split(".")[0] == "reports"}
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, " → ".join((*path, module))
        if module in done:
            return
        for name in graph[module]:
            visit(name, (*path, module))
        done.add(module)

    for module in modules:
        visit(module, ())
    assert graph["registry.tasks"] == {"registry.excel.jobs"}


ALONE = """
import sys

import django
from django.conf import settings

settings.configure(
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "auditlog", "registry"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    USE_TZ=True,
)
django.setup()
import registry.excel.api, registry.excel.jobs, registry.excel.urls, registry.excel.api_urls, registry.tasks
from registry.excel.importer import KINDS

print(sorted(m for m in sys.modules if m.split(".")[0] in ("orgs", "members", "reports")), sorted(KINDS))
"""


def test_the_engine_runs_with_registry_alone_installed():
    """In an interpreter where orgs, members and reports are not installed, the engine, its pages, API and job
    task load, no module of those apps is imported, and only registry's own kind is registered."""
    env = {**os.environ, "PYTHONPATH": str(settings.BASE_DIR)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    out = subprocess.run(
        [sys.executable, "-c", ALONE], capture_output=True, text=True, env=env, cwd=settings.BASE_DIR
    )
    assert (out.returncode, out.stdout.strip()) == (0, "[] ['enterprises']"), out.stderr[-3000:]
