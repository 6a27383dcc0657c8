"""Issue 17 items 11 and 12: import templates whose example row reads back as written, one size unit in the size
message, and a sheet with too many rows refused from its declared dimension before a row is parsed."""

from __future__ import annotations

import io
import re
import time
import zipfile

import openpyxl
import pytest
from django.test import override_settings

from registry.excel.cells import parse_bool
from registry.excel.importer import KINDS, run_import
from registry.excel.sheets import BadFile, check_package, read_sheet, template_workbook
from registry.models import Enterprise, ImportJob
from registry.workbook import ENTERPRISES, example_credit_code
from tests.excel import ENT_HEADERS, api_client, firm_row, make_staff, make_zone, post, workbook

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return make_staff(make_zone())


@pytest.fixture
def api(staff):
    return api_client(staff)


def _with_rows(n: int, *, dimension: bool = True) -> bytes:
    """An enterprise workbook of ``n`` identical data rows, its sheet XML written directly (fast at 200,000 rows);
    ``dimension``: whether the sheet declares its size, as Excel, WPS and openpyxl do."""
    small = zipfile.ZipFile(io.BytesIO(workbook(ENT_HEADERS, [firm_row(1)])))
    xml = small.read("xl/worksheets/sheet1.xml").decode()
    head, rest = xml.split("<sheetData>")
    tail = rest.split("</sheetData>", 1)[1]
    head = re.sub(
        r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="A1:G{n + 1}"/>' if dimension else "", head
    )

    def row(number: int, values) -> str:
        cells = "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in values)
        return f'<row r="{number}">{cells}</row>'

    values = firm_row(1, established="2020-01-01")
    body = row(1, ENT_HEADERS) + "".join(row(i, values) for i in range(2, n + 2))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in small.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                archive.writestr(info.filename, f"{head}<sheetData>{body}</sheetData>{tail}")
            else:
                archive.writestr(info.filename, small.read(info.filename))
    return out.getvalue()


# ---------------------------------------------------------------- item 11: templates ----


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_template_example_row_holds_each_example_as_written(kind):
    """An example is the text a user types: not iterated ("9、1、4…") nor turned from "否" into "是"."""
    definition = KINDS[kind]
    sheet = openpyxl.load_workbook(io.BytesIO(template_workbook(definition))).worksheets[0]
    written = [c.value for c in sheet[2]]
    expected = [c.example for c in definition.importable]
    assert [v.date() if hasattr(v, "date") else v for v in written] == expected


def test_the_organisation_template_reads_back_its_code_and_no_committee():
    definition = KINDS["organizations"]
    rows = read_sheet(template_workbook(definition), definition).rows
    example = rows[0][1]
    assert example["enterprises"] == example_credit_code(1)
    assert (example["has_committee"], parse_bool(example["has_committee"])) == ("否", False)


# ---------------------------------------------------------------- item 11: the size message ----


def test_the_size_message_gives_file_and_limit_in_one_unit():
    """The issue's case: 23,000,000 bytes against the 20 MB default were "21.0 MB" against "21 MB"."""
    with override_settings(IMPORT_MAX_BYTES=20 * 1024 * 1024), pytest.raises(BadFile) as refused:
        check_package(b"\0" * 23_000_000)
    assert refused.value.message == "文件过大（22.0 MB），上限为 20.0 MB。"


def test_a_file_one_byte_over_the_limit_never_reads_as_the_limit(api):
    with override_settings(IMPORT_MAX_BYTES=1024 * 1024):
        response = post(api, "enterprises", b"\0" * (1024 * 1024 + 1))
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "文件过大（1.1 MB），上限为 1.0 MB。"


# ---------------------------------------------------------------- item 12: rows ----


def test_a_200000_row_upload_is_refused_from_its_dimension_at_once(api):
    data = _with_rows(200_000)
    assert len(data) > 512 * 1024  # the size that would queue a job
    started = time.monotonic()
    response = post(api, "enterprises", data, dry_run="false")
    elapsed = time.monotonic() - started
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "row": None,
            "column": "",
            "message": "工作表共有 200000 行（含空行），超过上限 50000 行，请删除多余的空行或拆分文件后分批导入。",
        }
    ]
    assert elapsed < 3
    assert (ImportJob.objects.count(), Enterprise.objects.count()) == (0, 0)


def test_a_worker_refuses_it_before_parsing_a_row(staff, monkeypatch):
    """The job path (a file stored before this check existed, or queued by the page) refuses it as fast."""
    from registry.excel import sheets

    monkeypatch.setattr(sheets, "_read_rows", lambda *a: pytest.fail("rows parsed"))
    data = _with_rows(200_000)
    started = time.monotonic()
    result = run_import("enterprises", data, dry_run=True, user=staff)
    assert time.monotonic() - started < 3
    assert [e.message for e in result.errors] == [
        "工作表共有 200000 行（含空行），超过上限 50000 行，请删除多余的空行或拆分文件后分批导入。"
    ]


def test_a_sheet_at_the_limit_is_read(staff):
    with override_settings(IMPORT_MAX_ROWS=300):
        assert len(read_sheet(_with_rows(300), ENTERPRISES).rows) == 300


def test_a_sheet_without_a_dimension_is_counted_while_reading(staff):
    with override_settings(IMPORT_MAX_ROWS=2):
        result = run_import("enterprises", _with_rows(3, dimension=False), dry_run=True, user=staff)
    assert [e.message for e in result.errors] == ["数据行超过上限 2 行，请拆分文件后分批导入。"]


def test_a_worker_process_is_replaced_once_it_grew_past_the_memory_bound():
    from config.celery import app

    assert app.conf.worker_max_memory_per_child == 300 * 1024  # KiB, CELERY_WORKER_MAX_MEMORY_PER_CHILD


def test_a_big_unreadable_workbook_is_queued_and_refused_by_the_job_not_a_500(
    api, django_capture_on_commit_callbacks
):
    """The row-count check before queuing reads the package; a package it cannot read is left to the job."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "not xml")
        archive.writestr("xl/media/padding.bin", bytes(range(256)) * 3000)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api, "enterprises", out.getvalue())
    assert response.status_code == 202
    job = ImportJob.objects.get()
    assert job.result["errors"][0]["message"].startswith("无法读取该工作簿")
